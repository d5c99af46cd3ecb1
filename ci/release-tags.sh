#!/usr/bin/env bash
# Which moving tags a release may take, one a line:
#   ci/release-tags.sh <X.Y.Z>
#
# X.Y when no later X.Y.* release is tagged, and latest when no later release at all is, so a
# patch to an older line never moves `latest` (or its line's tag) backwards. Reads the
# repository's vX.Y.Z tags (a checkout with fetch-depth 0); CI_GIT_DIR overrides the checkout.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

version="${1:-}"
[[ "$version" =~ ^([0-9]+)\.([0-9]+)\.([0-9]+)$ ]] || ci_die "usage: $0 <X.Y.Z>"
minor="${BASH_REMATCH[1]}.${BASH_REMATCH[2]}"

releases="$( { git -C "${CI_GIT_DIR:-$REPO_ROOT}" tag --list 'v*' | sed -n -E 's/^v([0-9]+\.[0-9]+\.[0-9]+)$/\1/p'; printf '%s\n' "$version"; } | sort -u -V)"
highest="$(printf '%s\n' "$releases" | tail -n 1)"
highest_in_line="$(printf '%s\n' "$releases" | grep -E "^${minor//./\\.}\." | tail -n 1)"

if [ "$highest_in_line" = "$version" ]; then echo "$minor"; else ci_log "not moving $minor: $highest_in_line is later"; fi
if [ "$highest" = "$version" ]; then echo latest; else ci_log "not moving latest: $highest is later"; fi
