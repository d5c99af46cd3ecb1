#!/usr/bin/env bash
# npm run bench: uses the local cluster (started here, or already running) when the e2e toolchain
# is cached, then runs the benchmark.
set -euo pipefail
# shellcheck source=../../tools/node-env.sh
source "$(dirname "$0")/../../tools/node-env.sh"
if e2e/toolchain.sh --check >/dev/null 2>&1; then
  CLICKVOTE_E2E_BIN="$(e2e/toolchain.sh --print)"
  export CLICKVOTE_E2E_BIN
  # shellcheck source=../lib.sh
  source "$ROOT/e2e/lib.sh"
  e2e_use_cluster
fi
npx tsx e2e/bench/run.ts
