#!/usr/bin/env bash
# Removes the real node node-up.sh added, and leaves nothing behind on the host: no process (by pid
# file), container, mount, bridge, route, iptables chain/rule, ipset, nft table or cgroup of ours.
# The Node object, the PVs and the RBAC/StorageClass/kube-dns objects of this node are deleted from
# the cluster when it is still running. PV data under ~/.cache/clickvote-e2e/realpods/node/pv is
# deleted too, unless E2E_RP_KEEP_DATA=1. The loopback registry keeps running (images.sh stop ends it).
set -uo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=../lib.sh
source "$REPO_ROOT/e2e/lib.sh"
[ "$(id -u)" = 0 ] || rp_die "must run as root"
T0=$(date +%s)
BIN="$(rp_bin)"
CBIN="$("$REPO_ROOT/e2e/toolchain.sh" --print)"
KUBECTL="$CBIN/kubectl"; [ -x "$KUBECTL" ] || KUBECTL="$(command -v kubectl || echo false)"
k() { "$KUBECTL" --kubeconfig "$KUBECONFIG_FILE" --request-timeout=5s "$@"; }
cluster_up=0; [ -f "$KUBECONFIG_FILE" ] && e2e_curl /readyz >/dev/null 2>&1 && cluster_up=1

# 1. pods: stop them through the CRI while containerd still runs (CNI DEL removes their veths/rules)
rp_stop provisioner provisioner.sh 5
if [ "$cluster_up" = 1 ] && rp_pid kubelet kubelet >/dev/null; then
  k drain "$NODE_NAME" --force --ignore-daemonsets --delete-emptydir-data --grace-period=5 --timeout=40s >/dev/null 2>&1 || true
fi
rp_stop kubelet kubelet 15
if rp_pid containerd containerd >/dev/null && [ -x "$BIN/crictl" ]; then
  CR=("$BIN/crictl" --runtime-endpoint "unix://$CTRD_SOCK" --timeout 20s)
  mapfile -t sandboxes < <("${CR[@]}" pods -q 2>/dev/null)
  if [ "${#sandboxes[@]}" -gt 0 ]; then
    "${CR[@]}" stopp "${sandboxes[@]}" >/dev/null 2>&1 || true
    "${CR[@]}" rmp -f "${sandboxes[@]}" >/dev/null 2>&1 || true
  fi
fi
rp_stop kube-router kube-router 10
rp_stop coredns coredns 5
rp_stop kube-proxy kube-proxy 10
rp_stop containerd containerd 15
# shims of our containerd (their cmdline names our socket) that outlived it
for p in $(pgrep -f "containerd-shim-runc-v2 .*-address $CTRD_SOCK" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done

# 2. cleanup helpers of the components themselves
if [ -x "$BIN/kube-proxy" ]; then "$BIN/kube-proxy" --cleanup >/dev/null 2>&1 || true; fi
# (not kube-router --cleanup-config: it also flushes every IPVS service and routing state on the
# host; its chains and ipsets go with the recorded-state diff below)

# 3. mounts under our directories (deepest first)
if [ -d "$NODE_DIR" ]; then
  while read -r m; do
    [ -n "$m" ] || continue
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done < <(awk -v d="$NODE_DIR" 'index($2, d) == 1 {print $2}' /proc/self/mounts | sort -r)
fi
while read -r m; do
  # only mounts of our containerd's tasks (their bundles live in our state dir)
  if [ -n "$m" ] && [ -e "$NODE_DIR/containerd/state" ] && grep -q "$NODE_DIR" <<<"$m"; then umount "$m" 2>/dev/null || true; fi
done < <(awk '$2 ~ /^\/run\/containerd\// {print $2}' /proc/self/mounts | sort -r)

# 4. network namespaces of our pods (CNI created them under /var/run/netns as cni-*) that are gone
#    from the CRI; veths go with them
for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep '^cni-'); do
  # a namespace whose veth peer sits on our bridge is ours
  if ip netns exec "$ns" ip -o addr 2>/dev/null | grep -q " ${NODE_IP%.*}\."; then ip netns delete "$ns" 2>/dev/null || true; fi
done

# 5. bridge, route, our FORWARD chain, and every iptables chain / ipset / nft table that appeared
#    after node-up recorded the host state
ip route del "$(ip route show dev "$BRIDGE" 2>/dev/null | awk '$1 ~ /\// && $1 != "'"$POD_CIDR"'" {print $1; exit}')" dev "$BRIDGE" 2>/dev/null || true
ip link show "$BRIDGE" >/dev/null 2>&1 && { ip link set "$BRIDGE" down; ip link delete "$BRIDGE" type bridge; }
iptables -D FORWARD -j REALPODS-FORWARD 2>/dev/null || true
iptables -F REALPODS-FORWARD 2>/dev/null; iptables -X REALPODS-FORWARD 2>/dev/null
if [ -f "$NODE_DIR/iptables-chains-before" ]; then
  for fam in ip4 ip6; do
    ipt=iptables; [ "$fam" = ip6 ] && ipt=ip6tables
    for t in filter nat mangle raw; do
      new="$($ipt -t "$t" -S 2>/dev/null | awk '$1 == "-N" {print $2}' | while read -r c; do
        # only the name spaces of kubelet/kube-proxy/kube-router (KUBE-*), CNI (CNI-*) and ours
        [[ "$c" =~ ^(KUBE-|CNI-|REALPODS-) ]] || continue
        grep -qx "$fam $t $c" "$NODE_DIR/iptables-chains-before" || echo "$c"; done)"
      [ -n "$new" ] || continue
      # rules (in any chain) that jump to a new chain, then the new chains themselves
      $ipt -t "$t" -S 2>/dev/null | grep '^-A ' | while read -r rule; do
        for c in $new; do
          if grep -qE -- "-j $c( |\$)" <<<"$rule"; then eval "$ipt -t $t -D ${rule#-A }" 2>/dev/null || true; break; fi
        done
      done
      for c in $new; do $ipt -t "$t" -F "$c" 2>/dev/null || true; done
      for c in $new; do $ipt -t "$t" -X "$c" 2>/dev/null || true; done
    done
  done
fi
if [ -f "$NODE_DIR/ipsets-before" ]; then
  for s in $(ipset list -n 2>/dev/null | sort | comm -13 "$NODE_DIR/ipsets-before" - | grep -E 'KUBE-|kube-router'); do
    ipset destroy "$s" 2>/dev/null || true
  done
fi
if [ -f "$NODE_DIR/nft-tables-before" ]; then
  nft list tables 2>/dev/null | sort | comm -13 "$NODE_DIR/nft-tables-before" - | while read -r _ fam name; do
    case "$name" in kube-proxy|kube-network-policies|kube-router*) nft delete table "$fam" "$name" 2>/dev/null || true ;; esac
  done
fi

# 6. host sysctls back to what they were
if [ -f "$NODE_DIR/sysctl-before" ]; then
  while IFS='=' read -r key val; do [ -f "/proc/sys/$key" ] && echo "$val" >"/proc/sys/$key" 2>/dev/null; done <"$NODE_DIR/sysctl-before"
fi

# 7. cgroups under our cgroupRoot, in every hierarchy (deepest first)
for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
  [ -d "$h${CGROUP_ROOT#/}" ] || continue
  find "$h${CGROUP_ROOT#/}" -depth -type d -exec rmdir {} \; 2>/dev/null || true
done

# 8. the cluster side
if [ "$cluster_up" = 1 ]; then
  k delete node "$NODE_NAME" --ignore-not-found >/dev/null 2>&1 || true
  k delete pv -l realpods.e2e/owned=true --ignore-not-found --wait=false >/dev/null 2>&1 || true
  k delete clusterrolebinding,clusterrole,storageclass -l realpods.e2e/owned=true --ignore-not-found >/dev/null 2>&1 || true
  k -n kube-system delete service,endpointslice -l realpods.e2e/owned=true --ignore-not-found >/dev/null 2>&1 || true
fi

# 9. files: keep certificates and the recorded host state only while something is left
leftover=""
for n in containerd kubelet kube-proxy coredns kube-router provisioner; do rp_pid "$n" "$n" >/dev/null && leftover+=" $n"; done
ip link show "$BRIDGE" >/dev/null 2>&1 && leftover+=" bridge"
grep -q "$NODE_DIR" /proc/self/mounts && leftover+=" mounts"
for h in /sys/fs/cgroup/*/; do [ -d "$h${CGROUP_ROOT#/}" ] && { leftover+=" cgroup:$h${CGROUP_ROOT#/}"; }; done
if [ -n "$leftover" ]; then
  rp_log "WARNING: left behind:$leftover"
  exit 1
fi
if [ -d "$NODE_DIR" ]; then
  # shim sockets live in /run/containerd/s whatever the state dir; remove what we created
  [ "$(cat "$NODE_DIR/run-containerd-existed" 2>/dev/null)" = no ] && \
    find /run/containerd -depth -type d -empty -delete 2>/dev/null
  if [ "${E2E_RP_KEEP_DATA:-0}" = 1 ]; then
    find "$NODE_DIR" -mindepth 1 -maxdepth 1 ! -name pv ! -name pki -exec rm -rf {} +
  else
    find "$NODE_DIR" -mindepth 1 -maxdepth 1 ! -name pki -exec rm -rf {} +
  fi
fi
rp_time "node-down" "$(($(date +%s) - T0))"
rp_log "node $NODE_NAME removed; nothing of it is left on the host"
