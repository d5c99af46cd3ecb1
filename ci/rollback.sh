#!/usr/bin/env bash
# Rolls a stack back from CI (the rollback workflow):
#   ci/rollback.sh <stack> [<version>]
#
# <version> is X.Y.Z or sha256:<digest>; empty means the last good release in the stack's
# history. Writes the cluster credentials from KUBECONFIG_DATA, selects the stack, then runs
# `npm run rollback -- --stack <stack> [--to <version>] --yes`.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

stack="${1:-}"
version="${2:-}"
[[ "$stack" =~ ^[A-Za-z0-9_.-]+$ ]] || ci_die "usage: $0 <stack> [<version>]"
if [ -n "$version" ] && ! [[ "$version" =~ ^([0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?|sha256:[a-f0-9]{64})$ ]]; then
  ci_die "version '$version' is neither X.Y.Z nor sha256:<64 hex>"
fi

ci_write_kubeconfig "$stack"
ci_select_stack "$stack"
ci_apply_ci_settings "$stack"

args=(--stack "$stack")
if [ -n "$version" ]; then args+=(--to "$version"); fi
cd "$REPO_ROOT" || exit 1
npm run rollback -- "${args[@]}" --yes
