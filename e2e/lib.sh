# shellcheck shell=bash disable=SC2034  # the settings here are read by the scripts that source this file
# Shared settings for cluster-up.sh / cluster-down.sh / smoke-test.sh (sourced).
E2E_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
E2E_CACHE_ROOT="${CLICKVOTE_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/clickvote-e2e}"
STATE="${E2E_STATE_DIR:-$E2E_CACHE_ROOT/cluster}"

# Loopback-only ports (override one with E2E_*_PORT, or shift all with
# E2E_PORT_OFFSET to run a second cluster next to the first, together with its
# own E2E_STATE_DIR).
o="${E2E_PORT_OFFSET:-0}"
ETCD_PORT="${E2E_ETCD_PORT:-$((23791 + o))}"          # etcd client (plain HTTP, 127.0.0.1 only)
ETCD_PEER_PORT="${E2E_ETCD_PEER_PORT:-$((23801 + o))}" # etcd peer
APISERVER_PORT="${E2E_APISERVER_PORT:-$((16443 + o))}" # kube-apiserver (HTTPS)
KCM_PORT="${E2E_KCM_PORT:-$((16257 + o))}"            # kube-controller-manager health/metrics (HTTPS)
SCHED_PORT="${E2E_SCHED_PORT:-$((16259 + o))}"        # kube-scheduler health/metrics (HTTPS)
KWOK_PORT="${E2E_KWOK_PORT:-$((16280 + o))}"          # kwok health/metrics (HTTP)
unset o

PKI="$STATE/pki"
PIDS="$STATE/pids"
LOGS="$STATE/logs"
KUBECONFIG_FILE="$STATE/kubeconfig"
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

e2e_log() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; }
e2e_die() { e2e_log "ERROR: $*"; exit 1; }

# pid of a running component we started, or nothing
e2e_pid() {
  local f="$PIDS/$1.pid" pid
  [ -f "$f" ] || return 1
  pid="$(cat "$f")"
  [ -n "$pid" ] && [ -d "/proc/$pid" ] || return 1
  # guard against pid reuse: the process must be the binary we started
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "/$1 " || return 1
  echo "$pid"
}

e2e_curl() { # curl the apiserver as cluster admin
  curl -fsS --max-time 5 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" \
    "https://127.0.0.1:$APISERVER_PORT$1"
}

# e2e_use_cluster: exports KUBECONFIG for the local cluster, starting it when needed. A cluster
# started here is stopped when the calling script exits; one that was already running (someone
# else's run) is left running. Returns non-zero when the cluster does not start.
e2e_use_cluster() {
  local already_running=0 kubeconfig
  [ -f "$KUBECONFIG_FILE" ] && e2e_curl /readyz >/dev/null 2>&1 && already_running=1
  kubeconfig="$("$E2E_DIR/cluster-up.sh")" || return 1
  export KUBECONFIG="$kubeconfig"
  [ "$already_running" = 1 ] || trap '"$E2E_DIR/cluster-down.sh" >/dev/null 2>&1 || true' EXIT
}
