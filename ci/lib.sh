# shellcheck shell=bash
# Helpers shared by ci/*.sh (sourced, never run). The workflows in .github/workflows
# call those scripts instead of inline shell, so what CI runs is what test/workflows.test.ts
# checks here. Nothing in this file prints the value of a secret: variables are only tested
# for presence, and files made from secrets are written with mode 600 and never cat'ed.
set -euo pipefail

CI_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$CI_DIR/.." && pwd)"
PROD_STACK_FILE="${PROD_STACK_FILE:-$REPO_ROOT/Pulumi.prod.yaml}"

ci_log() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; }

# Fails the step; inside Actions the message also becomes an error annotation.
ci_die() {
  if [ -n "${GITHUB_ACTIONS:-}" ]; then printf '::error title=%s::%s\n' "$(basename "$0")" "$*" >&2; fi
  ci_log "ERROR: $*"
  exit 1
}

# ci_require_env NAME... : each variable must be set and non-empty (its value is not shown).
ci_require_env() {
  local name
  for name in "$@"; do
    [ -n "${!name:-}" ] || ci_die "$name is not set: add it as a repository or environment secret (see docs/ci.md)"
  done
}

# ci_output KEY VALUE : a step output inside Actions, KEY=VALUE on stdout elsewhere.
ci_output() {
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"
  else
    printf '%s=%s\n' "$1" "$2"
  fi
}

# ci_export NAME VALUE : exports to this shell and, inside Actions, to the job's later steps.
ci_export() {
  export "$1=$2"
  if [ -n "${GITHUB_ENV:-}" ]; then printf '%s=%s\n' "$1" "$2" >>"$GITHUB_ENV"; fi
}

# ci_yaml_value FILE KEY : the plain scalar KEY has in a Pulumi stack file (quotes and trailing
# comments removed), or nothing. Enough for the flat `config:` maps of Pulumi.<stack>.yaml.
ci_yaml_value() {
  local file="$1" key="$2" line
  [ -f "$file" ] || return 0
  line="$(grep -E "^[[:space:]]+${key}:" "$file" | head -n 1 || true)"
  [ -n "$line" ] || return 0
  line="${line#*"${key}":}"
  line="$(printf '%s' "$line" | sed -E 's/[[:space:]]+#.*$//; s/^[[:space:]]+//; s/[[:space:]]+$//')"
  line="${line#\"}"; line="${line%\"}"
  line="${line#\'}"; line="${line%\'}"
  printf '%s\n' "$line"
}

# The GHCR repository of this GitHub repository, lower-case (GHCR names must be).
ci_image_repository() {
  if [ -n "${CLICKVOTE_IMAGE_REPOSITORY:-}" ]; then
    printf '%s\n' "$CLICKVOTE_IMAGE_REPOSITORY"
    return
  fi
  ci_require_env GITHUB_REPOSITORY
  printf 'ghcr.io/%s\n' "${GITHUB_REPOSITORY,,}"
}

# ci_write_kubeconfig NAME : when KUBECONFIG_DATA (a secret) is set, writes it to a private
# file and points KUBECONFIG at it for this and the later steps. Without it the job keeps the
# runner's kubeconfig (kind's, in review environments).
ci_write_kubeconfig() {
  local name="$1" dir file
  if [ -z "${KUBECONFIG_DATA:-}" ]; then
    ci_log "no KUBECONFIG_DATA given; using the current kubeconfig"
    return 0
  fi
  dir="${RUNNER_TEMP:-${TMPDIR:-/tmp}}"
  file="$dir/kubeconfig-$name"
  (umask 077 && printf '%s\n' "$KUBECONFIG_DATA" >"$file")
  ci_export KUBECONFIG "$file"
  ci_log "cluster credentials written to a private kubeconfig for $name"
}

# ci_policy_pack_dir : prints "policy" when the repository has a policy pack there (after
# installing its own dependencies if it has a lock file), else nothing.
ci_policy_pack_dir() {
  local dir="$REPO_ROOT/policy"
  [ -f "$dir/PulumiPolicy.yaml" ] || return 0
  if [ -f "$dir/package-lock.json" ] && [ ! -d "$dir/node_modules" ]; then
    npm --prefix "$dir" ci --no-audit --no-fund >&2
  fi
  printf 'policy\n'
}

# ci_select_stack STACK : selects an existing stack of the configured backend.
ci_select_stack() {
  ci_require_env PULUMI_BACKEND_URL PULUMI_CONFIG_PASSPHRASE
  (cd "$REPO_ROOT" && pulumi stack select "$1" --non-interactive)
}

# ci_set_config STACK KEY VALUE [--secret] : writes one setting to Pulumi.<STACK>.yaml in this
# checkout only (never committed). The value is passed on the command line, so secret values
# go through ci_set_secret_config instead.
ci_set_config() {
  (cd "$REPO_ROOT" && pulumi config set --stack "$1" "$2" "$3" --non-interactive)
}

# ci_set_secret_config STACK KEY ENV_NAME : a secret setting read from an environment variable
# on standard input, so it never appears in a process list or a log.
ci_set_secret_config() {
  local stack="$1" key="$2" env_name="$3"
  ci_require_env "$env_name"
  (cd "$REPO_ROOT" && printf '%s' "${!env_name}" | pulumi config set --stack "$stack" "$key" --secret --non-interactive)
}

# ci_apply_ci_settings STACK : the settings every CI run derives from the repository rather than
# from Pulumi.<stack>.yaml: the GHCR repository (unless the stack file names one) and the
# commit the image is built from.
ci_apply_ci_settings() {
  local stack="$1" stack_file="$REPO_ROOT/Pulumi.$1.yaml"
  if [ -z "$(ci_yaml_value "$stack_file" 'clickvote:imageRepository')" ]; then
    ci_set_config "$stack" clickvote:imageRepository "$(ci_image_repository)"
  fi
  ci_set_config "$stack" clickvote:gitRevision "$(git -C "$REPO_ROOT" rev-parse HEAD)"
}

# ci_deployed_digest STACK : the sha256 digest the stack's last update deployed (from its
# imageRef output), or nothing for a stack that has never been deployed.
ci_deployed_digest() {
  local ref
  ref="$(cd "$REPO_ROOT" || exit 1; pulumi stack output imageRef --stack "$1" 2>/dev/null || true)"
  if [[ "$ref" =~ @(sha256:[a-f0-9]{64})$ ]]; then printf '%s\n' "${BASH_REMATCH[1]}"; fi
}

# ci_pin_digest STACK DIGEST : deploy exactly DIGEST (digest mode) instead of building.
ci_pin_digest() {
  [[ "$2" =~ ^sha256:[a-f0-9]{64}$ ]] || ci_die "not an image digest: $2"
  ci_set_config "$1" clickvote:imageMode digest
  ci_set_config "$1" clickvote:imageDigest "$2"
}
