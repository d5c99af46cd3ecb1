#!/usr/bin/env bash
# The Pulumi program on a REAL node: runs e2e/realpods/*.realpods.test.ts (vitest) after setting up
# what they need, and prints "N passed, N failed, N skipped" last.
#
#   e2e/realpods/run.sh [--report FILE] [vitest args…]
#
# Needs: root, the e2e toolchain (e2e/toolchain.sh: Pulumi CLI, providers, control plane) and the
# realpods cache (e2e/realpods/toolchain.sh binaries + Debian packages, images.sh root filesystems).
# When one is missing the tests still run, each reported SKIPPED with the reason (never passed).
#
# Set-up, each piece started only when it is not running already, and stopped again at the end
# when this script started it: the control plane (e2e/cluster-up.sh; E2E_STATE_DIR and
# E2E_PORT_OFFSET are honoured), the images (images.sh: cached images are skipped; the app image is
# rebuilt when app/ is newer than the one in the registry), the rollout-test variants (images.sh
# variants), the dev stack's registry on 127.0.0.1:5001 (images.sh dev-registry), the real node
# (node-up.sh). On the cluster, for the duration of the run: the kwok nodes get the taint
# realpods.e2e/fake=true:NoSchedule and realpods-local becomes the default StorageClass (both
# undone at the end).
# E2E_RP_KEEP=1 leaves everything running (and the stack deployed) for a look afterwards;
# CLICKVOTE_REALPODS=0 reports every test skipped without setting anything up.
set -uo pipefail
# shellcheck source=../../tools/node-env.sh
source "$(dirname "$0")/../../tools/node-env.sh"
report=""
if [ "${1:-}" = "--report" ]; then report="$2"; shift 2; fi
out_dir="$(mktemp -d)"
json="${report:-$out_dir/realpods.json}"
mkdir -p "$(dirname "$json")"
# shellcheck source=lib.sh
source "$ROOT/e2e/realpods/lib.sh"
# shellcheck source=setup.sh
source "$ROOT/e2e/realpods/setup.sh"

npx vitest run --config e2e/realpods/vitest.config.ts --reporter=default --reporter=json "--outputFile=$json" "$@"
status=$?
if [ -z "$report" ]; then
  node "$ROOT/tools/test-totals.mjs" "$out_dir" || status=1
fi
rm -rf "$out_dir"
exit "$status"
