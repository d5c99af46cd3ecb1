#!/usr/bin/env bash
# Renders both stacks' Kubernetes manifests under Pulumi mocks and checks them with kube-score,
# applying only the justified exceptions of tools/kube-score-exceptions.yaml.
#   tools/check-manifests.sh [--out <dir>]      (npm run check:manifests)
# Exit status: 0 clean, 1 findings (or stale exceptions), 3 kube-score could not be installed.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
OUT="$ROOT/.manifests"
if [ "${1:-}" = "--out" ]; then OUT="$2"; fi
NODE_BIN="$("$ROOT/tools/ensure-node.sh")"
export PATH="$NODE_BIN:$PATH"

KUBE_SCORE="$("$ROOT/tools/install-manifest-checker.sh")" || exit 3
npx --no-install tsx tools/render-manifests.ts --out "$OUT"
npx --no-install tsx tools/check-manifests.ts --manifests "$OUT" --kube-score "$KUBE_SCORE"
