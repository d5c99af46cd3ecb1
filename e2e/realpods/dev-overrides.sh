#!/usr/bin/env bash
# Appends to <project dir>/Pulumi.dev.yaml the settings THIS machine forces on the committed dev
# stack, each with its reason, and prints them. Nothing else of the dev stack changes: its
# imageRepository stays localhost:5001/clickvote (served here by `images.sh dev-registry`), its
# namespace, replicas and timeouts stay as committed.
#
#   e2e/realpods/dev-overrides.sh <project dir>
#
# 1. imageMode digest + imageDigest: the program's build mode needs the docker-build provider,
#    which cannot be built on this machine; the app image is built from app/Dockerfile unchanged
#    by images.sh (BuildKit) and deployed by the digest the registry reports for it.
# 2. postgresImage / redisImage: the committed values pin the upstream alpine images by digest;
#    those cannot be pulled here and a stand-in can never have their digests, so the stand-ins
#    (test fixtures of images.sh: PostgreSQL 17 as uid 70, Redis 7 as uid 999) are pinned by theirs.
# Not overrides, but cluster set-up done by e2e/realpods/run.sh: the kwok nodes are tainted (so
# every pod lands on the real node, as on a one-node laptop cluster) and realpods-local is the
# default StorageClass (as kind's "standard" is on a laptop).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

dir="${1:?usage: dev-overrides.sh <project dir>}"
file="$dir/Pulumi.dev.yaml"
[ -f "$file" ] || rp_die "$file not found"
digest_of() { # repository tag -> digest, asked from the dev stack's registry
  curl -fsS -o /dev/null -D - --max-time 5 \
    -H 'Accept: application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' \
    "http://127.0.0.1:$DEV_REG_PORT/v2/$1/manifests/$2" | awk -F': ' 'tolower($1) == "docker-content-digest" {print $2}' | tr -d '\r'
}
app="$(digest_of clickvote "${E2E_RP_APP_TAG_NAME:-realpods}")" || true
pg="$(digest_of library/postgres 17-standin)" || true
redis="$(digest_of library/redis 7-standin)" || true
if [ -z "$app" ] || [ -z "$pg" ] || [ -z "$redis" ]; then
  rp_die "images missing on 127.0.0.1:$DEV_REG_PORT (app '${app}', postgres '${pg}', redis '${redis}'): run images.sh and images.sh dev-registry"
fi

overrides="$(
  cat <<EOF
  # --- e2e/realpods/dev-overrides.sh: what this machine forces (see that script) ---
  # no docker-build provider here: deploy the app image images.sh built from app/Dockerfile, by digest
  clickvote:imageMode: digest
  clickvote:imageDigest: "$app"
  # upstream images are unreachable and digest-pinned: the stand-in test fixtures, pinned by theirs
  clickvote:postgresImage: "$DEV_REG/library/postgres:17-standin@$pg"
  clickvote:redisImage: "$DEV_REG/library/redis:7-standin@$redis"
EOF
)"
printf '%s\n' "$overrides" >>"$file"
printf '%s\n' "$overrides" | sed 's/^  /dev-overrides: /'
