# shellcheck shell=bash disable=SC2034  # settings read by the scripts that source this file
# Shared settings for e2e/realpods/*.sh (sourced). Everything these scripts build or run lives
# under $RP (outside the repository); processes are tracked by pid files in $RP/pids.
RP_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$RP_DIR/../.." && pwd)"
E2E_CACHE_ROOT="${CLICKVOTE_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/clickvote-e2e}"
RP="$E2E_CACHE_ROOT/realpods"
RP_PIDS="$RP/pids"
RP_LOGS="$RP/logs"
RP_TIMES="$RP/timings.log"   # node/image/pod timings (build times of binaries: toolchain.sh --times)

# Loopback registry (Debian's docker-registry) and BuildKit.
REG_PORT="${E2E_RP_REGISTRY_PORT:-25000}"
REG="127.0.0.1:$REG_PORT"
# The dev stack's registry (clickvote:imageRepository localhost:5001/clickvote, the one
# `npm run dev:cluster` starts on a laptop): a second docker-registry instance on
# 127.0.0.1:$DEV_REG_PORT serving the same storage as $REG, so every image pushed to $REG is also
# localhost:$DEV_REG_PORT/<same name>@<same digest>. containerd pulls it over plain HTTP (node-up.sh),
# and the program's build mode pushes to it, as to dev:cluster's registry.
DEV_REG_PORT="${E2E_RP_DEV_REGISTRY_PORT:-5001}"
DEV_REG="localhost:$DEV_REG_PORT"
BK_DIR="$RP/buildkit"
BK_SOCK="$BK_DIR/run/buildkitd.sock"
# What images.sh did to the host's binfmt_misc (a marker per change), so the stop can undo it:
# "mounted", and "registered-<qemu name>" per handler it registered.
RP_BINFMT="$RP/binfmt"
# The buildx builder (remote driver) on that buildkitd, in a Docker client config of the suite's own
# (DOCKER_CONFIG for the tests): the docker-build provider builds with it in build mode, and the
# preflight's `docker buildx` finds buildx there as a CLI plugin (images.sh builder).
DOCKER_CFG="$RP/docker-config"
RP_BUILDER="clickvote-realpods"
# A Docker daemon of the suite's own (Debian's dockerd), for tag mode only: @pulumi/docker's
# provider pings a daemon when it is configured, even to resolve a tag (pulumi/pulumi-docker#1106).
# No bridge, no iptables rules, no IP forwarding: it runs no container; the tests pass its socket
# as DOCKER_HOST.
DOCKERD_DIR="$RP/dockerd"
DOCKERD_SOCK="$DOCKERD_DIR/docker.sock"

# The node. The bridge and both CIDRs are ours; nothing else on the machine uses them.
NODE_NAME="${E2E_RP_NODE_NAME:-realpods-node}"
BRIDGE="${E2E_RP_BRIDGE:-realpods0}"
POD_CIDR="${E2E_RP_POD_CIDR:-10.222.0.0/24}"
NODE_IP="${E2E_RP_NODE_IP:-10.222.0.1}"            # the bridge's address = the node's InternalIP
CLUSTER_DNS="${E2E_RP_CLUSTER_DNS:-10.96.0.10}"
NODE_DIR="$RP/node"
CTRD_SOCK="$NODE_DIR/containerd/run/containerd.sock"
KUBELET_PORT="${E2E_RP_KUBELET_PORT:-20250}"
KUBELET_HEALTHZ_PORT="${E2E_RP_KUBELET_HEALTHZ_PORT:-20248}"
KUBE_PROXY_HEALTHZ_PORT="${E2E_RP_KUBE_PROXY_HEALTHZ_PORT:-20256}"
KUBE_PROXY_METRICS_PORT="${E2E_RP_KUBE_PROXY_METRICS_PORT:-20249}"
CONTAINERD_STREAM_PORT="${E2E_RP_CONTAINERD_STREAM_PORT:-20010}"
COREDNS_HEALTH_PORT="${E2E_RP_COREDNS_HEALTH_PORT:-20181}"
CGROUP_ROOT="/realpods"                              # kubelet's cgroupRoot: apart from any other kubelet

rp_log() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; }
rp_die() { rp_log "ERROR: $*"; exit 1; }

# rp_pid <name> <binary-basename>: pid of a process we started (pid file + cmdline check)
rp_pid() {
  local f="$RP_PIDS/$1.pid" pid
  [ -f "$f" ] || return 1
  pid="$(cat "$f")"
  [ -n "$pid" ] && [ -d "/proc/$pid" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "${2:-$1}" || return 1
  echo "$pid"
}
# rp_start <name> <cmd...>: runs detached in its own session, logs to $RP_LOGS/<name>.log
rp_start() {
  local name="$1"; shift
  mkdir -p "$RP_PIDS" "$RP_LOGS"
  setsid "$@" </dev/null >>"$RP_LOGS/$name.log" 2>&1 &
  echo $! >"$RP_PIDS/$name.pid"
}
# rp_stop <name> <binary-basename> [seconds]: SIGTERM by pid, SIGKILL after a grace period
rp_stop() {
  local pid i
  pid="$(rp_pid "$1" "${2:-$1}")" || { rm -f "$RP_PIDS/$1.pid"; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < ${3:-10} * 4; i++)); do [ -d "/proc/$pid" ] || break; sleep 0.25; done
  if [ -d "/proc/$pid" ]; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$RP_PIDS/$1.pid"
}
rp_wait() { # what seconds cmd...
  local what="$1" secs="$2" i; shift 2
  for ((i = 0; i < secs * 2; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  rp_log "timed out after ${secs}s waiting for $what"; return 1
}
rp_time() { # label seconds [kind]: records a timing line
  mkdir -p "$RP"
  printf '%s\t%s\t%s\t%ss\tload %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$1" "${3:-}" "$2" "$(cut -d' ' -f1-3 /proc/loadavg)" >>"$RP_TIMES"
  rp_log "timing: $1 ${3:+($3) }${2}s"
}

rp_bin() { "$RP_DIR/toolchain.sh" --print; }
# The registry domain unqualified image names (`FROM node:...`, `postgres:17`) normalize to, i.e.
# Docker Hub's; printed by a helper built with the reference library, so no script names the host.
hub_domain() {
  local d; d="$("$(rp_bin)/refdomain" 2>/dev/null)" || true
  [ -n "$d" ] || rp_die "refdomain missing (run e2e/realpods/toolchain.sh)"
  echo "$d"
}

# The registry is needed by images.sh (push) and node-up.sh (containerd pulls).
registry_up() {
  rp_pid registry docker-registry >/dev/null && return 0
  command -v docker-registry >/dev/null || rp_die "docker-registry missing (run e2e/realpods/toolchain.sh)"
  mkdir -p "$RP/registry/data"
  cat >"$RP/registry/config.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $RP/registry/data
  delete:
    enabled: true
http:
  addr: $REG
EOF
  rp_start registry docker-registry serve "$RP/registry/config.yml"
  rp_wait "the loopback registry" 20 curl -fsS --max-time 2 "http://$REG/v2/" || rp_die "registry did not start (see $RP_LOGS/registry.log)"
}

# The dev stack's registry: writable, as dev:cluster's is, because the program's build mode pushes
# there. The two instances never write at once: images.sh pushes through $REG during the set-up,
# the program through this one during the tests. No blob descriptor cache in either, so each sees
# what the other wrote.
dev_registry_up() {
  rp_pid registry-dev docker-registry >/dev/null && return 0
  command -v docker-registry >/dev/null || rp_die "docker-registry missing (run e2e/realpods/toolchain.sh)"
  [ -d "$RP/registry/data" ] || rp_die "no registry data in $RP/registry/data (run e2e/realpods/images.sh)"
  if curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:$DEV_REG_PORT/v2/" 2>/dev/null; then
    rp_die "something else answers on 127.0.0.1:$DEV_REG_PORT (another registry?); stop it or set E2E_RP_DEV_REGISTRY_PORT"
  fi
  cat >"$RP/registry/config-dev.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $RP/registry/data
http:
  addr: 127.0.0.1:$DEV_REG_PORT
EOF
  rp_start registry-dev docker-registry serve "$RP/registry/config-dev.yml"
  rp_wait "the dev stack's loopback registry" 20 curl -fsS --max-time 2 "http://127.0.0.1:$DEV_REG_PORT/v2/" \
    || rp_die "registry on 127.0.0.1:$DEV_REG_PORT did not start (see $RP_LOGS/registry-dev.log)"
}

# dockerd_up: starts the suite's Docker daemon (see DOCKERD_DIR) unless it runs; dockerd writes
# /etc/docker/key.json whatever its flags say, so a key it creates there is marked for dockerd_down.
dockerd_up() {
  rp_pid dockerd dockerd >/dev/null && return 0
  command -v dockerd >/dev/null || rp_die "dockerd missing (Debian's docker.io: e2e/realpods/toolchain.sh --packages)"
  mkdir -p "$DOCKERD_DIR"
  echo '{}' >"$DOCKERD_DIR/daemon.json" # not the host's /etc/docker/daemon.json
  [ -e /etc/docker/key.json ] || touch "$DOCKERD_DIR/created-key"
  rp_start dockerd dockerd --config-file "$DOCKERD_DIR/daemon.json" --host "unix://$DOCKERD_SOCK" \
    --data-root "$DOCKERD_DIR/data" --exec-root "$DOCKERD_DIR/run" --pidfile "$DOCKERD_DIR/dockerd.pid" \
    --bridge=none --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false
  rp_wait "the suite's Docker daemon" 30 env DOCKER_HOST="unix://$DOCKERD_SOCK" docker version \
    || rp_die "dockerd did not answer on $DOCKERD_SOCK (see $RP_LOGS/dockerd.log)"
}
dockerd_down() {
  rp_stop dockerd dockerd 20
  if [ -e "$DOCKERD_DIR/created-key" ]; then
    rm -f /etc/docker/key.json "$DOCKERD_DIR/created-key"
  fi
}

# binfmt_undo: unregisters the qemu handlers images.sh registered and unmounts binfmt_misc if it
# mounted it (its markers in $RP_BINFMT); what was there before images.sh stays as it was.
binfmt_undo() {
  local m q
  for m in "$RP_BINFMT"/registered-*; do
    [ -e "$m" ] || continue
    q="${m##*/registered-}"
    if [ -e "/proc/sys/fs/binfmt_misc/qemu-$q" ]; then
      echo -1 >"/proc/sys/fs/binfmt_misc/qemu-$q" || { rp_log "could not unregister the qemu-$q binfmt handler"; continue; }
      rp_log "unregistered the qemu-$q binfmt handler"
    fi
    rm -f "$m"
  done
  if [ -e "$RP_BINFMT/mounted" ]; then
    if mountpoint -q /proc/sys/fs/binfmt_misc && ! umount /proc/sys/fs/binfmt_misc; then
      rp_log "could not unmount binfmt_misc"
    else
      rm -f "$RP_BINFMT/mounted"
      rp_log "unmounted binfmt_misc"
    fi
  fi
}

# Manifests in $REG (the registry API over loopback, with curl and jq); `REG=<host:port> <function>`
# asks another registry (dev-overrides.sh asks the dev stack's).
MANIFEST_TYPES='application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json'
in_registry() { # repo:tag -> prints the manifest digest when present
  local repo="${1%:*}" tag="${1##*:}"
  curl -fsS -o /dev/null -D - --max-time 5 -H "Accept: $MANIFEST_TYPES" "http://$REG/v2/$repo/manifests/$tag" 2>/dev/null \
    | awk -F': ' 'tolower($1) == "docker-content-digest" {print $2}' | tr -d '\r'
}
manifest_get() { # repo tag|digest -> the manifest as stored
  curl -fsS --max-time 10 -H "Accept: $MANIFEST_TYPES" "http://$REG/v2/$1/manifests/$2"
}
# platforms <repo:tag>: os/arch of each image an index lists (none for a single manifest)
platforms() {
  manifest_get "${1%:*}" "${1##*:}" 2>/dev/null \
    | jq -r '.manifests[]? | select(.platform.os != "unknown") | "\(.platform.os)/\(.platform.architecture)"'
}
