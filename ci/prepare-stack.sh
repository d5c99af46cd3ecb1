#!/usr/bin/env bash
# Gets an existing stack ready for a `pulumi preview` run by pulumi/actions in a later step:
#   ci/prepare-stack.sh <stack> [--pin-deployed-image]
#
# - writes the cluster credentials from KUBECONFIG_DATA (a secret) to a private kubeconfig;
# - selects the stack in the self-managed backend (PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE);
# - applies the settings CI derives from the repository (GHCR repository, git revision);
# - --pin-deployed-image (or PIN_DEPLOYED_IMAGE=true): previews against the image digest the stack runs now (prod is deployed
#   from a scanned digest by the release workflow, so this keeps previews and the drift check
#   about infrastructure, not about an image rebuild);
# - step output `policy-packs`: "policy" when the repository has a policy pack, else empty.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

stack="${1:-}"
[ -n "$stack" ] || ci_die "usage: $0 <stack> [--pin-deployed-image]"
shift
pin="${PIN_DEPLOYED_IMAGE:-false}"
for arg in "$@"; do
  case "$arg" in
    --pin-deployed-image) pin=true ;;
    *) ci_die "unknown argument $arg" ;;
  esac
done

ci_write_kubeconfig "$stack"
ci_select_stack "$stack"
ci_apply_ci_settings "$stack"
if [ "$pin" = true ]; then
  digest="$(ci_deployed_digest "$stack")"
  if [ -n "$digest" ]; then
    ci_log "previewing $stack against its deployed image $digest"
    ci_pin_digest "$stack" "$digest"
  else
    ci_log "$stack has no deployed image yet; previewing its configured image mode"
  fi
fi
ci_output policy-packs "$(ci_policy_pack_dir)"
