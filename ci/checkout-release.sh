#!/usr/bin/env bash
# Checks out the latest release tag (highest vX.Y.Z), the code prod runs, for the drift check:
#   ci/checkout-release.sh          (needs a checkout with tags: fetch-depth 0)
# With no release tag yet it stays on the current commit. Step output: ref.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

latest="$(git -C "$REPO_ROOT" tag --list 'v*' | grep -E '^v[0-9]+\.[0-9]+\.[0-9]+$' | sort -V | tail -n 1 || true)"
if [ -z "$latest" ]; then
  ci_log "no release tag yet; checking the current commit"
  ci_output ref "$(git -C "$REPO_ROOT" rev-parse HEAD)"
  exit 0
fi
git -C "$REPO_ROOT" checkout --quiet --detach "refs/tags/$latest"
ci_log "checked out $latest"
ci_output ref "$latest"
