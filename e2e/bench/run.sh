#!/usr/bin/env bash
# npm run bench: uses the local cluster (started here, or already running) when the e2e toolchain
# is cached, then runs the benchmark (e2e/bench/run.ts); then, on real pods, its real-pod part
# (e2e/bench/realpods.sh), which says what it skipped and why when root or its caches are missing.
#   BENCH_REALPODS=0     the kwok-cluster part only
#   BENCH_REALPODS=only  the real-pod part only
set -euo pipefail
# shellcheck source=../../tools/node-env.sh
source "$(dirname "$0")/../../tools/node-env.sh"
parts="${BENCH_REALPODS:-1}"
case "$parts" in 0 | 1 | only) ;; *) echo "BENCH_REALPODS must be 0, 1 or only (got '$parts')" >&2; exit 2 ;; esac
status=0
if [ "$parts" != only ]; then
  if e2e/toolchain.sh --check >/dev/null 2>&1; then
    CLICKVOTE_E2E_BIN="$(e2e/toolchain.sh --print)"
    export CLICKVOTE_E2E_BIN
    # shellcheck source=../lib.sh
    source "$ROOT/e2e/lib.sh"
    e2e_use_cluster
  fi
  npx tsx e2e/bench/run.ts || status=$?
fi
if [ "$parts" != 0 ]; then
  # the real-pod part runs after the kwok one: its set-up taints the kwok nodes for its duration
  bash e2e/bench/realpods.sh || status=1
fi
exit "$status"
