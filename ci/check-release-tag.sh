#!/usr/bin/env bash
# Checks a release tag before anything is built:
#   ci/check-release-tag.sh <tag>      e.g. v1.4.2
#
# The tag must be vMAJOR.MINOR.PATCH (no pre-release or build suffix: prod only runs release
# versions) and must match clickvote:version in Pulumi.prod.yaml, the version the program
# tags and deploys. Step outputs: version (X.Y.Z) and minor (X.Y).
# PROD_STACK_FILE overrides the stack file (the tests use it).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

tag="${1:-}"
[ -n "$tag" ] || ci_die "usage: $0 <tag>"
if ! [[ "$tag" =~ ^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$ ]]; then
  ci_die "release tag '$tag' is not vMAJOR.MINOR.PATCH (e.g. v1.4.2)"
fi
version="${tag#v}"
minor="${BASH_REMATCH[1]}.${BASH_REMATCH[2]}"

[ -f "$PROD_STACK_FILE" ] || ci_die "$PROD_STACK_FILE not found"
configured="$(ci_yaml_value "$PROD_STACK_FILE" 'clickvote:version')"
[ -n "$configured" ] || ci_die "clickvote:version is not set in $(basename "$PROD_STACK_FILE")"
if [ "$configured" != "$version" ]; then
  ci_die "release tag $tag does not match clickvote:version $configured in $(basename "$PROD_STACK_FILE"); bump the version there (or tag v$configured)"
fi

ci_log "release $tag matches clickvote:version in $(basename "$PROD_STACK_FILE")"
ci_output version "$version"
ci_output minor "$minor"
