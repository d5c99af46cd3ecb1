#!/usr/bin/env bash
# npm run bench: starts the local cluster when the e2e toolchain is cached, then runs the benchmark.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
export PATH="$("$ROOT/scripts/ensure-node.sh"):$PATH"
if scripts/e2e/toolchain.sh --check >/dev/null 2>&1; then
  export CLICKVOTE_E2E_BIN="$(scripts/e2e/toolchain.sh --print)"
  KUBECONFIG="$(scripts/e2e/cluster-up.sh)"
  export KUBECONFIG
  trap 'scripts/e2e/cluster-down.sh >/dev/null 2>&1 || true' EXIT
fi
npx ts-node --transpile-only scripts/bench/run.ts
