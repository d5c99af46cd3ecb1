#!/usr/bin/env bash
# npm run bench's real-pod part (e2e/bench/realpods.ts), also runnable alone: sets up what the
# real node needs with e2e/realpods/setup.sh (as e2e/realpods/run.sh does: control plane, images
# and rollout variants, the dev registry on 127.0.0.1:5001, the real node, the kwok nodes' taint;
# every piece it started is stopped again at the end, unless E2E_RP_KEEP=1), then benchmarks the
# dev stack on real pods. When root or a cache is missing it prints what it skipped and why, and
# exits 0; a set-up or bench that fails exits 1.
set -uo pipefail
# shellcheck source=../../tools/node-env.sh
source "$(dirname "$0")/../../tools/node-env.sh"
# shellcheck source=../realpods/lib.sh
source "$ROOT/e2e/realpods/lib.sh"
# shellcheck source=../realpods/setup.sh
source "$ROOT/e2e/realpods/setup.sh"
if [ -n "${REALPODS_UNAVAILABLE:-}" ]; then
  echo "real-pod figures skipped: ${REALPODS_UNAVAILABLE}"
  exit 0
fi
if [ -n "${REALPODS_SETUP_FAILED:-}" ]; then
  echo "real-pod figures failed: set-up failed: ${REALPODS_SETUP_FAILED}"
  exit 1
fi
npx tsx e2e/bench/realpods.ts
