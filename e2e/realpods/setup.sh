# shellcheck shell=bash
# Sourced by e2e/realpods/run.sh and e2e/bench/realpods.sh (after lib.sh and tools/node-env.sh):
# finds what the real node needs (REALPODS_UNAVAILABLE, with every reason, when something is
# missing), and, when everything is there, sets up what is not running yet: the control plane
# (e2e/cluster-up.sh), the images and rollout variants (images.sh), the dev stack's registry on
# 127.0.0.1:5001, the real node (node-up.sh), the kwok nodes' taint and realpods-local as the
# default StorageClass. A set-up that fails sets REALPODS_SETUP_FAILED. Its EXIT trap undoes the
# cluster changes and stops, in reverse order, what it started, unless E2E_RP_KEEP=1.
# Exports CLICKVOTE_E2E_BIN and KUBECONFIG on success, and CLICKVOTE_REALPODS_BIN (the realpods
# binaries, vegeta among them for load.ts) in any case. When buildx is cached, the set-up also
# makes the buildx builder for build mode (images.sh builder) and exports
# CLICKVOTE_REALPODS_DOCKER_CONFIG (the Docker client config holding it); without buildx, or when
# that fails, REALPODS_NO_BUILDER says why, and dev-overrides.sh deploys by digest. When the docker
# provider is in the e2e toolchain, it starts the suite's Docker daemon (images.sh docker-daemon)
# for tag mode and exports CLICKVOTE_REALPODS_DOCKER_HOST; otherwise REALPODS_NO_DOCKER_DAEMON says
# why, and the tag-mode test is skipped with that reason.

unset REALPODS_UNAVAILABLE
reasons=()
[ "${CLICKVOTE_REALPODS:-1}" != 0 ] || reasons+=("CLICKVOTE_REALPODS=0 turns this suite off")
[ "$(id -u)" = 0 ] || reasons+=("needs root (containerd, kubelet, the bridge and iptables); run as root")
if ! "$ROOT/e2e/toolchain.sh" --check >/dev/null 2>&1; then
  reasons+=("the e2e toolchain is not cached at $("$ROOT/e2e/toolchain.sh" --print 2>/dev/null) (npm run e2e:toolchain)")
fi
rpbin="$("$RP_DIR/toolchain.sh" --print 2>/dev/null || true)"
for b in kubelet kube-proxy crictl coredns kube-router buildkitd buildctl dockerfile-frontend pause refdomain vegeta; do
  if [ -z "$rpbin" ] || [ ! -x "$rpbin/$b" ]; then
    reasons+=("the realpods binaries are not cached (missing $b in ${rpbin:-?}; e2e/realpods/toolchain.sh builds them)")
    break
  fi
done
# where load.ts (findVegeta) takes vegeta from
[ -z "$rpbin" ] || export CLICKVOTE_REALPODS_BIN="$rpbin"
for c in containerd runc docker-registry debootstrap iptables ipset jq; do
  command -v "$c" >/dev/null 2>&1 || { reasons+=("the realpods Debian packages are not installed (missing $c; e2e/realpods/toolchain.sh --packages)"); break; }
done
for f in node postgres redis; do
  [ -s "$RP/images/rootfs/$f.tar" ] || { reasons+=("the stand-in root filesystems are not cached (missing $RP/images/rootfs/$f.tar; e2e/realpods/images.sh rootfs)"); break; }
done
if [ "${#reasons[@]}" -gt 0 ]; then
  REALPODS_UNAVAILABLE="$(IFS='; '; echo "${reasons[*]}")"
  export REALPODS_UNAVAILABLE
fi

# ---- set-up (only when everything is there) ------------------------------------------------------
started=()
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
  local i
  if [ "${E2E_RP_KEEP:-0}" = 1 ]; then
    echo "realpods: E2E_RP_KEEP=1: left running: ${started[*]:-nothing new}" >&2
    return
  fi
  if [ -n "${KUBECONFIG:-}" ] && [ -n "${CLICKVOTE_E2E_BIN:-}" ]; then
    "$CLICKVOTE_E2E_BIN/kubectl" taint nodes -l type=kwok realpods.e2e/fake=true:NoSchedule- >/dev/null 2>&1 || true
    "$CLICKVOTE_E2E_BIN/kubectl" annotate storageclass realpods-local storageclass.kubernetes.io/is-default-class- >/dev/null 2>&1 || true
    "$CLICKVOTE_E2E_BIN/kubectl" annotate storageclass standard storageclass.kubernetes.io/is-default-class=true --overwrite >/dev/null 2>&1 || true
  fi
  binfmt_undo
  for ((i = ${#started[@]} - 1; i >= 0; i--)); do
    case "${started[$i]}" in
      node) "$RP_DIR/node-down.sh" >/dev/null 2>&1 || echo "realpods: node-down.sh failed" >&2 ;;
      cluster) "$ROOT/e2e/cluster-down.sh" >/dev/null 2>&1 || true ;;
      registry-dev) rp_stop registry-dev docker-registry ;;
      registry) rp_stop registry docker-registry ;;
      buildkitd) rp_stop buildkitd buildkitd 20 ;;
      dockerd) dockerd_down ;;
    esac
  done
}
trap cleanup EXIT
# With everything there, a set-up that fails is a test failure (reported by the test file), not a skip.
setup_failed() {
  export REALPODS_SETUP_FAILED="$*"
  echo "realpods: set-up failed: $REALPODS_SETUP_FAILED" >&2
}

unset REALPODS_SETUP_FAILED
if [ -z "${REALPODS_UNAVAILABLE:-}" ]; then
  t0=$(date +%s)
  CLICKVOTE_E2E_BIN="$("$ROOT/e2e/toolchain.sh" --print)"
  export CLICKVOTE_E2E_BIN
  # shellcheck source=../lib.sh
  source "$ROOT/e2e/lib.sh"
  rp_pid registry docker-registry >/dev/null || started+=(registry)
  rp_pid buildkitd buildkitd >/dev/null || started+=(buildkitd)
  if ! { [ -f "$KUBECONFIG_FILE" ] && e2e_curl /readyz >/dev/null 2>&1; }; then started+=(cluster); fi
  # With qemu-user-static installed, its aarch64 handler for the run (undone at exit), registered
  # before buildkitd starts: buildkitd lists linux/arm64 only then, and build mode builds both
  # committed platforms when the arm64 node base is cached (dev-overrides.sh). No RUN step is
  # emulated: every one is in a build-platform stage.
  if [ -f /usr/lib/binfmt.d/qemu-aarch64.conf ] && [[ " ${started[*]} " == *" buildkitd "* ]]; then
    "$RP_DIR/images.sh" binfmt >&2 || echo "realpods: the qemu-aarch64 handler could not be registered: build mode builds linux/amd64 only" >&2
  fi
  if ! KUBECONFIG="$("$ROOT/e2e/cluster-up.sh")"; then
    setup_failed "the control plane did not start (e2e/cluster-up.sh)"
  elif ! "$RP_DIR/images.sh" all >&2 || ! "$RP_DIR/images.sh" variants >&2; then
    export KUBECONFIG
    setup_failed "building the images failed (e2e/realpods/images.sh; logs in $RP_LOGS)"
  else
    export KUBECONFIG
    rp_pid registry-dev docker-registry >/dev/null || started+=(registry-dev)
    if ! "$RP_DIR/images.sh" dev-registry >&2; then
      setup_failed "the dev stack's registry on 127.0.0.1:$DEV_REG_PORT did not start"
    else
      # build mode's builder: optional (without it the suite deploys by digest and says why)
      unset CLICKVOTE_REALPODS_DOCKER_CONFIG REALPODS_NO_BUILDER
      if [ ! -x "$rpbin/buildx" ]; then
        export REALPODS_NO_BUILDER="buildx is not cached in $rpbin (E2E_RP_PACKAGES=0 E2E_RP_ONLY=buildx e2e/realpods/toolchain.sh)"
      elif "$RP_DIR/images.sh" builder >&2; then
        export CLICKVOTE_REALPODS_DOCKER_CONFIG="$DOCKER_CFG"
      else
        export REALPODS_NO_BUILDER="images.sh builder failed (the buildx builder $RP_BUILDER on buildkitd)"
      fi
      # tag mode's Docker daemon: optional too (the docker provider pings one when configured)
      unset CLICKVOTE_REALPODS_DOCKER_HOST REALPODS_NO_DOCKER_DAEMON
      if [ ! -x "$CLICKVOTE_E2E_BIN/pulumi-resource-docker" ]; then
        export REALPODS_NO_DOCKER_DAEMON="no docker provider here (pulumi-resource-docker is absent from the e2e toolchain; e2e/toolchain.sh --status says how to add it)"
      elif ! command -v dockerd >/dev/null; then
        export REALPODS_NO_DOCKER_DAEMON="dockerd is not installed (Debian's docker.io: e2e/realpods/toolchain.sh --packages)"
      else
        rp_pid dockerd dockerd >/dev/null || started+=(dockerd)
        if "$RP_DIR/images.sh" docker-daemon >&2; then
          export CLICKVOTE_REALPODS_DOCKER_HOST="unix://$DOCKERD_SOCK"
        else
          export REALPODS_NO_DOCKER_DAEMON="images.sh docker-daemon failed (see $RP_LOGS/dockerd.log)"
        fi
      fi
      rp_pid kubelet kubelet >/dev/null || started+=(node)
      if ! "$RP_DIR/node-up.sh" >&2; then
        setup_failed "the real node did not come up (e2e/realpods/node-up.sh; logs in $RP_LOGS)"
      else
        k() { "$CLICKVOTE_E2E_BIN/kubectl" "$@"; }
        if ! k taint nodes -l type=kwok realpods.e2e/fake=true:NoSchedule --overwrite >/dev/null \
          || ! k annotate storageclass standard storageclass.kubernetes.io/is-default-class- >/dev/null \
          || ! k annotate storageclass realpods-local storageclass.kubernetes.io/is-default-class=true --overwrite >/dev/null; then
          setup_failed "could not taint the kwok nodes or make realpods-local the default StorageClass"
        fi
        rp_time "realpods run.sh set-up (cluster, images, dev registry, node)" "$(($(date +%s) - t0))"
      fi
    fi
  fi
fi
if [ -n "${REALPODS_UNAVAILABLE:-}" ]; then
  echo "REALPODS SKIPPED: ${REALPODS_UNAVAILABLE}" >&2
fi
