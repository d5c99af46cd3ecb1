#!/usr/bin/env bash
# Adds the moving tags to a scanned release image, from its digest (no rebuild, no pull):
#   ci/promote-image.sh <X.Y.Z> <sha256:digest>
#
# Checks that <repo>:<X.Y.Z> still points at the digest that was scanned, then tags that
# digest X.Y and latest as ci/release-tags.sh allows. The docker CLI must be logged in
# to ghcr.io with a token that may write packages.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

version="${1:-}"
digest="${2:-}"
if ! [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ && "$digest" =~ ^sha256:[a-f0-9]{64}$ ]]; then
  ci_die "usage: $0 <X.Y.Z> <sha256:digest>"
fi
repository="$(ci_image_repository)"

current="$(docker buildx imagetools inspect "$repository:$version" --format '{{json .Manifest}}' \
  | node -e 'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s).digest))')"
[ "$current" = "$digest" ] || ci_die "$repository:$version is now $current, not the scanned $digest; not promoting"

tags=()
while IFS= read -r tag; do
  [ -n "$tag" ] && tags+=(--tag "$repository:$tag")
done < <("$CI_DIR/release-tags.sh" "$version")
if [ "${#tags[@]}" -eq 0 ]; then
  ci_log "no moving tag to update for $version"
  exit 0
fi
docker buildx imagetools create "${tags[@]}" "$repository@$digest"
ci_log "tagged $repository@$digest: ${tags[*]}"
