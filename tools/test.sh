#!/usr/bin/env bash
# The README's test command (`npm test`): the Pulumi program's tests, the app's tests against
# real PostgreSQL and Redis, the end-to-end suite when its toolchain is cached, and the real-node
# suite (e2e/realpods/run.sh) when root and its cache are there (else reported skipped). Each suite
# writes a JSON report; the totals are printed last as "N passed, N failed, N skipped".
set -uo pipefail
# shellcheck source=node-env.sh
source "$(dirname "$0")/node-env.sh"
REPORTS="$ROOT/reports"
rm -rf "$REPORTS" && mkdir -p "$REPORTS"
status=0

echo "== Pulumi program tests (vitest, Pulumi mocks)"
npx vitest run --reporter=default --reporter=json --outputFile="$REPORTS/program.json" || status=1

if [ -f app/package.json ]; then
  echo "== Clickvote service tests (vitest, real PostgreSQL and Redis)"
  if [ ! -d app/node_modules ]; then npm --prefix app ci --no-audit --no-fund || status=1; fi
  npm --prefix app run build || status=1
  npm --prefix app test -- --reporter=default --reporter=json --outputFile="$REPORTS/app.json" || status=1
fi

if [ -x e2e/run.sh ]; then
  echo "== End-to-end (real Pulumi engine, local cluster)"
  e2e/run.sh --report "$REPORTS/e2e.json" || status=1
fi

if [ -x e2e/realpods/run.sh ]; then
  echo "== Real pods (the dev stack on a real node: deploy:dev, a vote, NetworkPolicies, rollouts under load)"
  e2e/realpods/run.sh --report "$REPORTS/realpods.json" || status=1
fi

node "$ROOT/tools/test-totals.mjs" "$REPORTS" || status=1
exit $status
