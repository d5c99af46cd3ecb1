#!/usr/bin/env bash
# npm run bench: uses the local cluster (started here, or already running) when the e2e toolchain
# is cached, then runs the benchmark.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
export PATH="$("$ROOT/scripts/ensure-node.sh"):$PATH"
if scripts/e2e/toolchain.sh --check >/dev/null 2>&1; then
  export CLICKVOTE_E2E_BIN="$(scripts/e2e/toolchain.sh --print)"
  # shellcheck source=scripts/e2e/lib.sh
  source "$ROOT/scripts/e2e/lib.sh"
  e2e_use_cluster
fi
npx ts-node --transpile-only scripts/bench/run.ts
