#!/usr/bin/env bash
# Renders both stacks' Kubernetes manifests under Pulumi mocks and checks them with kube-score,
# applying only the justified exceptions of tools/kube-score-exceptions.yaml.
#   tools/check-manifests.sh [--out <dir>]      (npm run check:manifests)
# Exit status: 0 clean, 1 findings (or stale exceptions), 3 kube-score could not be installed.
set -euo pipefail
# shellcheck source=node-env.sh
source "$(dirname "$0")/node-env.sh"
OUT="$ROOT/.manifests"
if [ "${1:-}" = "--out" ]; then OUT="$2"; fi

KUBE_SCORE="$("$ROOT/tools/install-manifest-checker.sh")" || exit 3
npx --no-install tsx tools/render-manifests.ts --out "$OUT"
npx --no-install tsx tools/check-manifests.ts --manifests "$OUT" --kube-score "$KUBE_SCORE"
