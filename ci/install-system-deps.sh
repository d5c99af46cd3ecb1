#!/usr/bin/env bash
# Installs the system packages the README's test command needs on a GitHub-hosted runner (or
# any Debian/Ubuntu machine): PostgreSQL and Redis for the service tests against real servers
# and ShellCheck for the workflow script checks. Packages already present are left alone.
#   ci/install-system-deps.sh
# Shell on purpose: it only runs commands.
set -euo pipefail
log() { printf 'install-system-deps.sh: %s\n' "$*" >&2; }

need=()
if ! command -v initdb >/dev/null 2>&1 && ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
  need+=(postgresql)
fi
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v shellcheck >/dev/null 2>&1 || need+=(shellcheck)
if [ "${#need[@]}" -eq 0 ]; then
  log "system packages already present"
  exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
log "installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
