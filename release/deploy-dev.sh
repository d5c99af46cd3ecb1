#!/usr/bin/env bash
# npm run deploy:dev — the README's one command for a new user: installs dependencies when
# missing, runs the preflight (release/preflight.ts: CLI, settings, cluster, builder, registry),
# creates or selects the dev stack (local file backend from Pulumi.yaml unless
# PULUMI_BACKEND_URL says otherwise) and runs `pulumi up` against the current kube context with
# the policy pack, as CI's deploys do. Extra arguments go to pulumi up (e.g. --yes).
#   CLICKVOTE_SKIP_PREFLIGHT=1   skip the preflight
#   CLICKVOTE_SKIP_POLICY=1      run without the policy pack
# Shell on purpose: it runs before the project's
# dependencies (TypeScript runner included) are installed, and it only runs commands.
set -euo pipefail
# shellcheck source=../tools/node-env.sh
source "$(dirname "$0")/../tools/node-env.sh"
command -v pulumi >/dev/null 2>&1 || { echo "deploy:dev needs the Pulumi CLI on PATH (https://www.pulumi.com/docs/install/)" >&2; exit 1; }
[ -d node_modules ] || npm ci --no-audit --no-fund
if [ "${CLICKVOTE_SKIP_PREFLIGHT:-0}" != 1 ]; then npm run --silent preflight -- --stack dev; fi
policy_args=()
if [ "${CLICKVOTE_SKIP_POLICY:-0}" != 1 ]; then
  [ -d policy/node_modules ] || npm --prefix policy ci --no-audit --no-fund
  policy_config="$(mktemp)"
  trap 'rm -f "$policy_config"' EXIT
  npm run --silent policy:config -- dev "$policy_config"
  policy_args=(--policy-pack policy --policy-pack-config "$policy_config")
fi
# The file backend's directory must exist before the first login.
backend="${PULUMI_BACKEND_URL:-file://~/.pulumi-clickvote}"
case "$backend" in file://*) dir="${backend#file://}"; dir="${dir%%\?*}"; mkdir -p "${dir/#\~/$HOME}" ;; esac
pulumi stack select --create dev
pulumi up --stack dev "${policy_args[@]}" "$@"
