#!/usr/bin/env bash
# Appends to <project dir>/Pulumi.dev.yaml the settings THIS machine forces on the committed dev
# stack, each with its reason, and prints them. Nothing else of the dev stack changes: its
# imageRepository stays localhost:5001/clickvote (served here by `images.sh dev-registry`), its
# namespace, replicas and timeouts stay as committed.
#
#   e2e/realpods/dev-overrides.sh <project dir> [--digest]
#
# 1. The image. Build mode, as committed, when this machine has what it needs: the docker-build
#    provider (pulumi-resource-docker-build in $CLICKVOTE_E2E_BIN, e2e/toolchain.sh takes it
#    prebuilt), the buildx builder on the suite's BuildKit ($CLICKVOTE_REALPODS_DOCKER_CONFIG,
#    made by images.sh builder) and a `docker` CLI (the preflight asks `docker buildx`). Both
#    committed platforms are built when the registry has the Dockerfile's base (its ARG NODE_IMAGE,
#    the node stand-in) for linux/arm64 too; the arm64 image needs no emulation then (every RUN step
#    is in a stage on the build platform). Else buildPlatforms is forced to linux/amd64: the arm64
#    base is built, once and under qemu, by images.sh (unless E2E_RP_ARCHES=amd64).
#    Otherwise, or with --digest (the bench: the kubectl peer deploys the same image): imageMode
#    digest + imageDigest, the image images.sh built from app/Dockerfile unchanged, by the digest
#    the registry reports for it; the printed reason names what is missing.
# 2. postgresImage / redisImage: the committed values pin the upstream alpine images by digest;
#    those cannot be pulled here and a stand-in can never have their digests, so the stand-ins
#    (test fixtures of images.sh: PostgreSQL 17 as uid 70, Redis 7 as uid 999) are pinned by theirs.
# Not overrides, but cluster set-up done by e2e/realpods/run.sh: the kwok nodes are tainted (so
# every pod lands on the real node, as on a one-node laptop cluster) and realpods-local is the
# default StorageClass (as kind's "standard" is on a laptop).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

dir="${1:?usage: dev-overrides.sh <project dir> [--digest]}"
file="$dir/Pulumi.dev.yaml"
[ -f "$file" ] || rp_die "$file not found"
case "${2:-}" in "" | --digest) ;; *) rp_die "unknown argument: $2 (usage: dev-overrides.sh <project dir> [--digest])" ;; esac
# why_digest: empty when build mode can run here, else why not
why_digest=""
if [ "${2:-}" = --digest ]; then
  why_digest="--digest asked for digest mode"
elif [ -z "${CLICKVOTE_E2E_BIN:-}" ] || [ ! -x "$CLICKVOTE_E2E_BIN/pulumi-resource-docker-build" ]; then
  why_digest="no docker-build provider here (pulumi-resource-docker-build is absent from the e2e toolchain; e2e/toolchain.sh --status says how to add it)"
elif [ -z "${CLICKVOTE_REALPODS_DOCKER_CONFIG:-}" ]; then
  why_digest="no buildx builder for the docker-build provider (${REALPODS_NO_BUILDER:-CLICKVOTE_REALPODS_DOCKER_CONFIG is not set: images.sh builder makes it})"
elif ! command -v docker >/dev/null; then
  why_digest="no docker CLI on PATH (the preflight checks the builder through \`docker buildx\`)"
fi
dev() { REG="127.0.0.1:$DEV_REG_PORT" "$@"; } # a lib.sh registry function, asking the dev stack's registry
app=""
[ -z "$why_digest" ] || app="$(dev in_registry "clickvote:${E2E_RP_APP_TAG_NAME:-realpods}")" || true
pg="$(dev in_registry library/postgres:17-standin)" || true
redis="$(dev in_registry library/redis:7-standin)" || true
if { [ -n "$why_digest" ] && [ -z "$app" ]; } || [ -z "$pg" ] || [ -z "$redis" ]; then
  rp_die "images missing on 127.0.0.1:$DEV_REG_PORT (app '${app}', postgres '${pg}', redis '${redis}'): run images.sh and images.sh dev-registry"
fi

if [ -n "$why_digest" ]; then
  image="$(
    cat <<EOF
  # $why_digest: deploy the app image images.sh built from app/Dockerfile, by digest
  clickvote:imageMode: digest
  clickvote:imageDigest: "$app"
EOF
  )"
else
  # the base the Dockerfile names (ARG NODE_IMAGE=node:<tag>), as the registry serves it
  base="$(sed -n 's/^ARG NODE_IMAGE=node:\(.*\)$/\1/p' "$dir/app/Dockerfile" | head -1)"
  base_platforms="$(dev platforms "library/node:$base" || true)"
  # the preflight asks the builder for every platform: buildkitd lists linux/arm64 only with a qemu
  # handler registered on the host (images.sh registers one when it builds the arm64 base)
  builder_platforms="$(DOCKER_CONFIG="$CLICKVOTE_REALPODS_DOCKER_CONFIG" docker buildx inspect "$RP_BUILDER" 2>/dev/null | sed -n 's/^Platforms: *//p' | head -1)"
  if ! grep -qx linux/arm64 <<<"$base_platforms"; then
    arm64_missing="node:$base has no linux/arm64 image here (images.sh builds it where qemu-user-static is installed, unless E2E_RP_ARCHES=amd64)"
  elif ! grep -q 'linux/arm64' <<<"$builder_platforms"; then
    arm64_missing="the builder lists no linux/arm64 (${builder_platforms:-no platforms}): no qemu handler is registered on this host"
  else
    arm64_missing=""
  fi
  if [ -z "$arm64_missing" ]; then
    image="  # build mode as committed, both platforms (docker-build provider, buildx builder $RP_BUILDER on the suite's BuildKit; node:$base has linux/arm64 here)"
  else
    image="$(
      cat <<EOF
  # build mode as committed (docker-build provider, buildx builder $RP_BUILDER on the suite's BuildKit),
  # amd64 only: $arm64_missing
  clickvote:buildPlatforms: ["linux/amd64"]
EOF
    )"
  fi
fi
overrides="$(
  cat <<EOF
  # --- e2e/realpods/dev-overrides.sh: what this machine forces (see that script) ---
$image
  # upstream images are unreachable and digest-pinned: the stand-in test fixtures, pinned by theirs
  clickvote:postgresImage: "$DEV_REG/library/postgres:17-standin@$pg"
  clickvote:redisImage: "$DEV_REG/library/redis:7-standin@$redis"
EOF
)"
printf '%s\n' "$overrides" >>"$file"
printf '%s\n' "$overrides" | sed 's/^  /dev-overrides: /'
