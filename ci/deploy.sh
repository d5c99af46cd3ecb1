#!/usr/bin/env bash
# Updates a stack from CI:
#   ci/deploy.sh <stack> [--image-digest sha256:<64 hex>]
#
# Writes the cluster credentials from KUBECONFIG_DATA, selects the stack in the self-managed
# backend, applies the settings CI derives from the repository and, with --image-digest, pins
# the stack to exactly that (already pushed and scanned) image instead of building one.
# Then it runs the atomic deploy (`npm run deploy:atomic`, which rolls back to the last good
# release when the update fails) when package.json has it, else a plain `pulumi up`, with the
# repository's policy pack when there is one.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

stack="${1:-}"
[ -n "$stack" ] || ci_die "usage: $0 <stack> [--image-digest sha256:...]"
shift
digest=""
while [ "$#" -gt 0 ]; do
  case "$1" in
    --image-digest)
      [ "$#" -ge 2 ] || ci_die "--image-digest needs a value"
      digest="$2"
      shift 2
      ;;
    *) ci_die "unknown argument $1" ;;
  esac
done

ci_write_kubeconfig "$stack"
ci_select_stack "$stack"
ci_apply_ci_settings "$stack"
if [ -n "$digest" ]; then
  ci_pin_digest "$stack" "$digest"
fi

policy="$(ci_policy_pack_dir)"
policy_args=()
if [ -n "$policy" ]; then policy_args=(--policy-pack "$policy"); fi

cd "$REPO_ROOT" || exit 1
if node -e 'process.exit(require("./package.json").scripts?.["deploy:atomic"] ? 0 : 1)'; then
  ci_log "deploying $stack with npm run deploy:atomic"
  npm run deploy:atomic -- --stack "$stack" "${policy_args[@]}"
else
  ci_log "package.json has no deploy:atomic script; deploying $stack with pulumi up"
  pulumi up --stack "$stack" --yes --diff --non-interactive "${policy_args[@]}"
fi
