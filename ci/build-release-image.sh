#!/usr/bin/env bash
# Builds and pushes the release image through the Pulumi program, without touching a cluster:
#   ci/build-release-image.sh <version>        (X.Y.Z, already checked by check-release-tag.sh)
#
# A throw-away stack `release-build` in a local state directory of this runner gets prod's
# plain settings (ci/derive-stack-config.mjs) in build mode, and `pulumi up --target`
# creates only the image resources: the program builds app/ for prod's buildPlatforms
# (multi-arch), with GHCR's registry cache (<repo>:buildcache), and pushes <repo>:<version>.
# The prod stack is not involved: the release workflow deploys the digest printed here after
# Trivy has scanned it. Needs GITHUB_TOKEN (packages: write) and a buildx builder; the docker
# CLI must be logged in to ghcr.io to read the digest back.
# Step outputs: image (<repo>), digest (sha256:...), ref (<repo>@<digest>).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

version="${1:-}"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || ci_die "usage: $0 <X.Y.Z>"
ci_require_env GITHUB_TOKEN
repository="$(ci_image_repository)"
stack=release-build

state_dir="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/clickvote-release-build-state"
mkdir -p "$state_dir"
# Only this runner ever sees this state and nothing in it outlives the job, so it gets a
# passphrase of its own instead of the real one.
export PULUMI_BACKEND_URL="file://$state_dir"
PULUMI_CONFIG_PASSPHRASE="$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
export PULUMI_CONFIG_PASSPHRASE

cd "$REPO_ROOT" || exit 1
rm -f "Pulumi.$stack.yaml"
pulumi stack init "$stack" --secrets-provider passphrase --non-interactive
node "$CI_DIR/derive-stack-config.mjs" --from prod --to "$stack" \
  --set clickvote:imageMode=build \
  --set "clickvote:version=$version" \
  --set "clickvote:imageRepository=$repository" \
  --set "clickvote:gitRevision=$(git rev-parse HEAD)"

# The image resource and the two components above it; nothing else is created.
# shellcheck disable=SC2016 # the $ is part of the URN pattern, not an expansion
pulumi up --stack "$stack" --yes --diff --non-interactive \
  --target '**clickvote:index:Clickvote::*' \
  --target '**clickvote:index:Image::*' \
  --target '**$docker-build:index:Image::*'

manifest="$(docker buildx imagetools inspect "$repository:$version" --format '{{json .Manifest}}')"
digest="$(printf '%s' "$manifest" | node -e 'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s).digest))')"
[[ "$digest" =~ ^sha256:[a-f0-9]{64}$ ]] || ci_die "could not read the digest of $repository:$version"

ci_log "pushed $repository:$version as $digest"
ci_output image "$repository"
ci_output digest "$digest"
ci_output ref "$repository@$digest"
rm -f "Pulumi.$stack.yaml"
