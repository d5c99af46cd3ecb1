#!/usr/bin/env bash
# Adds a REAL node to the running e2e control plane (the one e2e/cluster-up.sh starts):
#   containerd (own root/state/socket) + runc, kubelet (client cert from the cluster PKI,
#   CN system:node:<name>, O system:nodes), CNI bridge $BRIDGE on $POD_CIDR with the firewall
#   plugin, kube-proxy (iptables mode), CoreDNS (kube-dns Service at $CLUSTER_DNS), a local-PV
#   provisioner (StorageClass realpods-local, data kept on disk across pod deletion and
#   StatefulSet replacement) and NetworkPolicy enforcement (kube-router's policy controller).
# All host-side pieces run as processes of this script, tracked by pid files in
# ~/.cache/clickvote-e2e/realpods/pids; e2e/realpods/node-down.sh removes everything again.
#
#   e2e/realpods/node-up.sh        (KUBECONFIG of the cluster is read from e2e/lib.sh)
#
# Needs: root, e2e/realpods/toolchain.sh (binaries + Debian packages), e2e/realpods/images.sh
# (pause image in the loopback registry), a running cluster (e2e/cluster-up.sh).
# Settings: E2E_RP_NODE_NAME, E2E_RP_BRIDGE, E2E_RP_POD_CIDR, E2E_RP_NODE_IP, E2E_RP_*_PORT (lib.sh);
# the cluster's E2E_STATE_DIR / E2E_PORT_OFFSET are honoured through e2e/lib.sh.
# E2E_RP_KWOK_FIX=0: do not restart kwok when it manages all nodes (see README: the node is then
# fought over by kwok and the kubelet, so node-up refuses).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# the cluster's settings (PKI, ports, kubeconfig, pid files): read-only use of the e2e lib
# shellcheck source=../lib.sh
source "$REPO_ROOT/e2e/lib.sh"

[ "$(id -u)" = 0 ] || rp_die "must run as root (containerd, kubelet, bridge, iptables)"
T0=$(date +%s)
BIN="$(rp_bin)"
CBIN="$("$REPO_ROOT/e2e/toolchain.sh" --print)"
KUBECTL="$CBIN/kubectl"; [ -x "$KUBECTL" ] || KUBECTL="$(command -v kubectl)" || rp_die "no kubectl"
for b in kubelet kube-proxy crictl coredns kube-router; do
  [ -x "$BIN/$b" ] || rp_die "$b missing in $BIN (run e2e/realpods/toolchain.sh)"
done
for c in containerd runc iptables ipset nft; do command -v "$c" >/dev/null || rp_die "$c missing (run e2e/realpods/toolchain.sh --packages)"; done
if ! [ -x /usr/lib/cni/bridge ] || ! [ -x /usr/lib/cni/firewall ]; then rp_die "containernetworking-plugins missing"; fi
if ! [ -f "$KUBECONFIG_FILE" ] || ! e2e_curl /readyz >/dev/null 2>&1; then rp_die "no running cluster (start it with e2e/cluster-up.sh)"; fi
k() { "$KUBECTL" --kubeconfig "$KUBECONFIG_FILE" "$@"; }
SERVICE_CIDR="$(tr '\0' '\n' <"/proc/$(e2e_pid kube-apiserver)/cmdline" | awk 'p {print; exit} /^--service-cluster-ip-range/ {if (index($0, "=")) {sub(/^[^=]*=/, ""); print; exit} p = 1}')"
[ -n "$SERVICE_CIDR" ] || rp_die "cannot read --service-cluster-ip-range of the running kube-apiserver"

if rp_pid kubelet kubelet >/dev/null; then
  rp_log "node $NODE_NAME already up (kubelet pid $(rp_pid kubelet kubelet))"; exit 0
fi
"$RP_DIR/node-down.sh" >/dev/null 2>&1 || true
mkdir -p "$NODE_DIR" "$RP_PIDS" "$RP_LOGS"
rm -f "$RP_LOGS"/{containerd,kubelet,kube-proxy,coredns,kube-router,provisioner}.log

# ---- kwok must not manage this node ---------------------------------------------------------------
if kpid="$(e2e_pid kwok)"; then
  kargs=(); while IFS= read -r -d '' a; do kargs+=("$a"); done <"/proc/$kpid/cmdline"
  if printf '%s\n' "${kargs[@]}" | grep -qx -- '--manage-all-nodes=true'; then
    [ "${E2E_RP_KWOK_FIX:-1}" = 1 ] || rp_die "kwok runs with --manage-all-nodes=true and would fake the status of this node's pods; cluster-up.sh needs --manage-all-nodes=false --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake"
    rp_log "kwok runs with --manage-all-nodes=true (it would fake this node's pods): restarting it with --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake"
    new=(); for a in "${kargs[@]}"; do
      if [ "$a" = --manage-all-nodes=true ]; then new+=(--manage-all-nodes=false --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake); else new+=("$a"); fi
    done
    kill -TERM "$kpid"; for _ in $(seq 40); do [ -d "/proc/$kpid" ] || break; sleep 0.25; done
    setsid "${new[@]}" </dev/null >>"$LOGS/kwok.log" 2>&1 &
    echo $! >"$PIDS/kwok.pid"
    echo "$(date -u +%FT%TZ) restarted kwok (pid $!) with an annotation selector" >"$NODE_DIR/kwok-restarted"
  fi
fi

# ---- host state we change, recorded so node-down can put it back -------------------------------------
if [ ! -f "$NODE_DIR/host-before.env" ]; then
  {
    for s in net/ipv4/ip_forward net/bridge/bridge-nf-call-iptables vm/overcommit_memory kernel/panic kernel/panic_on_oops; do
      [ -f "/proc/sys/$s" ] && printf '%s=%s\n' "$s" "$(cat "/proc/sys/$s")"
    done
  } >"$NODE_DIR/sysctl-before"
  for t in filter nat mangle raw; do
    iptables -t "$t" -S 2>/dev/null | awk -v t="$t" '$1 == "-N" {print "ip4 " t " " $2}'
    ip6tables -t "$t" -S 2>/dev/null | awk -v t="$t" '$1 == "-N" {print "ip6 " t " " $2}'
  done >"$NODE_DIR/iptables-chains-before"
  ipset list -n 2>/dev/null | sort >"$NODE_DIR/ipsets-before" || : >"$NODE_DIR/ipsets-before"
  nft list tables 2>/dev/null | sort >"$NODE_DIR/nft-tables-before" || true
  [ -d /run/containerd ] && echo yes >"$NODE_DIR/run-containerd-existed" || echo no >"$NODE_DIR/run-containerd-existed"
  touch "$NODE_DIR/host-before.env"
fi
modprobe br_netfilter 2>/dev/null || true
echo 1 >/proc/sys/net/ipv4/ip_forward
[ -f /proc/sys/net/bridge/bridge-nf-call-iptables ] && echo 1 >/proc/sys/net/bridge/bridge-nf-call-iptables
# the values the kubelet would otherwise set itself (it changes them when they differ)
echo 1 >/proc/sys/vm/overcommit_memory; echo 10 >/proc/sys/kernel/panic; echo 1 >/proc/sys/kernel/panic_on_oops

# ---- bridge + routes FIRST: nothing may send cluster traffic out of the default route -----------------
ip link show "$BRIDGE" >/dev/null 2>&1 || ip link add "$BRIDGE" type bridge
ip addr replace "$NODE_IP/${POD_CIDR#*/}" dev "$BRIDGE"
ip link set "$BRIDGE" up
ip route replace "$SERVICE_CIDR" dev "$BRIDGE" src "$NODE_IP"
# pods have no default route; this also drops anything from the bridge that is routed elsewhere
iptables -N REALPODS-FORWARD 2>/dev/null || iptables -F REALPODS-FORWARD
iptables -A REALPODS-FORWARD -i "$BRIDGE" ! -o "$BRIDGE" -m comment --comment "realpods: pods reach only the bridge" -j DROP
iptables -C FORWARD -j REALPODS-FORWARD 2>/dev/null || iptables -I FORWARD 1 -j REALPODS-FORWARD
rp_log "bridge $BRIDGE $NODE_IP/${POD_CIDR#*/}; $SERVICE_CIDR routed into it"

# ---- PKI: client certificates from the cluster CA ----------------------------------------------------
NPKI="$NODE_DIR/pki"; mkdir -p "$NPKI"; chmod 700 "$NPKI"
client_cert() { # name subject
  [ -s "$NPKI/$1.crt" ] && openssl verify -CAfile "$PKI/ca.crt" "$NPKI/$1.crt" >/dev/null 2>&1 && return 0
  openssl req -new -newkey rsa:2048 -nodes -keyout "$NPKI/$1.key" -subj "$2" -out "$NPKI/$1.csr" 2>/dev/null
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n' >"$NPKI/$1.ext"
  openssl x509 -req -in "$NPKI/$1.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial -days 3650 -sha256 \
    -extfile "$NPKI/$1.ext" -out "$NPKI/$1.crt" 2>/dev/null
  rm -f "$NPKI/$1.csr" "$NPKI/$1.ext"; chmod 600 "$NPKI/$1.key"
}
kubeconfig() { # name -> $NODE_DIR/<name>.kubeconfig
  cat >"$NODE_DIR/$1.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: e2e
  cluster: {server: "https://127.0.0.1:$APISERVER_PORT", certificate-authority: "$PKI/ca.crt"}
users:
- name: $1
  user: {client-certificate: "$NPKI/$1.crt", client-key: "$NPKI/$1.key"}
contexts:
- name: e2e
  context: {cluster: e2e, user: $1}
current-context: e2e
EOF
  chmod 600 "$NODE_DIR/$1.kubeconfig"
}
client_cert kubelet "/O=system:nodes/CN=system:node:$NODE_NAME"
client_cert kube-proxy "/CN=system:kube-proxy"
client_cert coredns "/CN=realpods:coredns"
client_cert kube-router "/CN=realpods:kube-router"
for n in kubelet kube-proxy coredns kube-router; do kubeconfig "$n"; done

# ---- cluster objects this node needs --------------------------------------------------------------
DNS_PORT_IP="$NODE_IP"
k apply -f - >/dev/null <<EOF
# The apiserver runs --authorization-mode RBAC without the Node authorizer, so the kubelet's
# identity gets the system:node role through a binding (with Node,RBAC this is not needed).
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "realpods:node:$NODE_NAME", labels: {realpods.e2e/owned: "true"}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:node"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "system:node:$NODE_NAME"}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "realpods:coredns", labels: {realpods.e2e/owned: "true"}}
rules:
- {apiGroups: [""], resources: [endpoints, services, pods, namespaces], verbs: [list, watch]}
- {apiGroups: [discovery.k8s.io], resources: [endpointslices], verbs: [list, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "realpods:coredns", labels: {realpods.e2e/owned: "true"}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "realpods:coredns"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "realpods:coredns"}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "realpods:kube-router", labels: {realpods.e2e/owned: "true"}}
rules:
- {apiGroups: [""], resources: [namespaces, pods, services, nodes, endpoints], verbs: [get, list, watch]}
- {apiGroups: [networking.k8s.io], resources: [networkpolicies], verbs: [get, list, watch]}
- {apiGroups: [discovery.k8s.io], resources: [endpointslices], verbs: [get, list, watch]}
- {apiGroups: [""], resources: [events], verbs: [create, patch, update]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "realpods:kube-router", labels: {realpods.e2e/owned: "true"}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "realpods:kube-router"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "realpods:kube-router"}]
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: realpods-local, labels: {realpods.e2e/owned: "true"}}
provisioner: realpods.e2e/local
reclaimPolicy: Retain
volumeBindingMode: Immediate
---
apiVersion: v1
kind: Service
metadata:
  name: kube-dns
  namespace: kube-system
  labels: {k8s-app: kube-dns, realpods.e2e/owned: "true"}
spec:
  clusterIP: $CLUSTER_DNS
  ports:
  - {name: dns, port: 53, protocol: UDP, targetPort: 53}
  - {name: dns-tcp, port: 53, protocol: TCP, targetPort: 53}
---
# CoreDNS runs on the host, bound to the node address; the Service points there.
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: kube-dns-realpods
  namespace: kube-system
  labels: {kubernetes.io/service-name: kube-dns, endpointslice.kubernetes.io/managed-by: realpods.e2e, realpods.e2e/owned: "true"}
addressType: IPv4
endpoints:
- addresses: ["$DNS_PORT_IP"]
  conditions: {ready: true}
ports:
- {name: dns, port: 53, protocol: UDP}
- {name: dns-tcp, port: 53, protocol: TCP}
EOF

# ---- containerd ----------------------------------------------------------------------------------
C="$NODE_DIR/containerd"
HUB="$(hub_domain)"
mkdir -p "$C/root" "$C/state" "$C/run" "$C/opt" "$C/certs.d/$HUB" "$C/certs.d/$REG"
cat >"$C/certs.d/$HUB/hosts.toml" <<EOF
# Docker Hub references are served by the loopback registry only (server = the mirror, so there
# is no fallback to the real registry)
server = "http://$REG"
[host."http://$REG"]
  capabilities = ["pull", "resolve"]
EOF
cat >"$C/certs.d/$REG/hosts.toml" <<EOF
server = "http://$REG"
[host."http://$REG"]
  capabilities = ["pull", "resolve", "push"]
EOF
# the dev stack's registry (localhost:5001, lib.sh): containerd runs on the host, so localhost is
# the host's loopback, where dev_registry_up serves it over plain HTTP
mkdir -p "$C/certs.d/$DEV_REG"
cat >"$C/certs.d/$DEV_REG/hosts.toml" <<EOF
server = "http://127.0.0.1:$DEV_REG_PORT"
[host."http://127.0.0.1:$DEV_REG_PORT"]
  capabilities = ["pull", "resolve"]
EOF
cat >"$C/config.toml" <<EOF
version = 2
root = "$C/root"
state = "$C/state"
oom_score = 0
[grpc]
  address = "$CTRD_SOCK"
[ttrpc]
  address = "$CTRD_SOCK.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$C/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$REG/realpods/pause:3.10"
  # CAP_SYS_RESOURCE is not in this machine's bounding set: negative oom_score_adj (the kubelet
  # asks -998 for sandboxes) fails in runc; this clamps it to containerd's own value.
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "$CONTAINERD_STREAM_PORT"
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        BinaryName = "$(command -v runc)"
        Root = "$C/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$NODE_DIR/cni/net.d"
    max_conf_num = 1
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$C/certs.d"
EOF
mkdir -p "$NODE_DIR/cni/net.d" "$NODE_DIR/cni/ipam"
cat >"$NODE_DIR/cni/net.d/10-realpods.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "realpods",
  "plugins": [
    {
      "type": "bridge", "bridge": "$BRIDGE", "isGateway": true, "ipMasq": false, "hairpinMode": true,
      "ipam": {
        "type": "host-local", "dataDir": "$NODE_DIR/cni/ipam",
        "ranges": [[{"subnet": "$POD_CIDR", "gateway": "$NODE_IP"}]],
        "routes": [{"dst": "$SERVICE_CIDR"}]
      }
    },
    {"type": "firewall", "backend": "iptables"}
  ]
}
EOF
t=$(date +%s)
rp_start containerd containerd --config "$C/config.toml"
rp_wait containerd 30 "$BIN/crictl" --runtime-endpoint "unix://$CTRD_SOCK" info || { tail -20 "$RP_LOGS/containerd.log" >&2; rp_die "containerd did not start"; }
rp_log "containerd up in $(($(date +%s) - t))s"
registry_up

# ---- kubelet ----------------------------------------------------------------------------------------
KL="$NODE_DIR/kubelet"; mkdir -p "$KL/root" "$KL/pod-logs" "$KL/volume-plugins"
# the kubelet's cgroupRoot must exist in every hierarchy (cgroup v1 hybrid here)
for h in /sys/fs/cgroup/*/; do
  if ! [ -d "$h" ] || ! [ -f "${h}cgroup.procs" ]; then continue; fi
  mkdir -p "$h${CGROUP_ROOT#/}"
  if [ -f "${h}cpuset.cpus" ]; then
    cat "${h}cpuset.cpus" >"$h${CGROUP_ROOT#/}/cpuset.cpus"; cat "${h}cpuset.mems" >"$h${CGROUP_ROOT#/}/cpuset.mems"
  fi
done
printf 'nameserver %s\nsearch cluster.local\noptions ndots:5\n' "$CLUSTER_DNS" >"$NODE_DIR/resolv.conf"
cat >"$KL/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $KUBELET_HEALTHZ_PORT
# the apiserver is started without --kubelet-client-certificate, so it reaches the kubelet
# (logs, exec) anonymously; the kubelet only listens on the bridge address
authentication:
  anonymous: {enabled: true}
  webhook: {enabled: false}
  x509: {clientCAFile: "$PKI/ca.crt"}
authorization: {mode: AlwaysAllow}
containerRuntimeEndpoint: unix://$CTRD_SOCK
cgroupDriver: cgroupfs
cgroupRoot: $CGROUP_ROOT
cgroupsPerQOS: true
failCgroupV1: false
failSwapOn: false
clusterDNS: [$CLUSTER_DNS]
clusterDomain: cluster.local
resolvConf: $NODE_DIR/resolv.conf
podLogsDir: $KL/pod-logs
volumePluginDir: $KL/volume-plugins
serializeImagePulls: false
maxPods: 60
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
imageGCHighThresholdPercent: 99
imageGCLowThresholdPercent: 98
nodeStatusReportFrequency: 10s
shutdownGracePeriod: 0s
EOF
t=$(date +%s)
rp_start kubelet "$BIN/kubelet" --config "$KL/config.yaml" --kubeconfig "$NODE_DIR/kubelet.kubeconfig" \
  --root-dir "$KL/root" --cert-dir "$KL/pki" --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" \
  --node-labels "realpods.e2e/real=true" --v 1
rp_wait "kubelet healthz" 60 curl -fsS --max-time 2 "http://127.0.0.1:$KUBELET_HEALTHZ_PORT/healthz" \
  || { tail -30 "$RP_LOGS/kubelet.log" >&2; rp_die "kubelet did not become healthy"; }
rp_wait "node $NODE_NAME Ready" 90 k wait --for=condition=Ready "node/$NODE_NAME" --timeout=2s \
  || { tail -30 "$RP_LOGS/kubelet.log" >&2; rp_die "node did not become Ready"; }
k patch node "$NODE_NAME" --type merge -p "{\"spec\":{\"podCIDR\":\"$POD_CIDR\",\"podCIDRs\":[\"$POD_CIDR\"]}}" >/dev/null 2>&1 || true
rp_log "kubelet registered, node $NODE_NAME Ready in $(($(date +%s) - t))s"

# ---- kube-proxy -----------------------------------------------------------------------------------
cat >"$NODE_DIR/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: "$NODE_DIR/kube-proxy.kubeconfig"}
hostnameOverride: $NODE_NAME
mode: iptables
clusterCIDR: $POD_CIDR
bindAddress: $NODE_IP
healthzBindAddress: 127.0.0.1:$KUBE_PROXY_HEALTHZ_PORT
metricsBindAddress: 127.0.0.1:$KUBE_PROXY_METRICS_PORT
# NodePorts only on the bridge address, never on the machine's own interfaces
nodePortAddresses: ["$NODE_IP/32"]
iptables: {localhostNodePorts: false, masqueradeAll: false}
# 0 = leave the host's conntrack sysctls alone
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
EOF
rp_start kube-proxy "$BIN/kube-proxy" --config "$NODE_DIR/kube-proxy.yaml" --v 1
rp_wait kube-proxy 60 curl -fsS --max-time 2 "http://127.0.0.1:$KUBE_PROXY_HEALTHZ_PORT/healthz" \
  || { tail -30 "$RP_LOGS/kube-proxy.log" >&2; rp_die "kube-proxy did not become healthy"; }

# ---- CoreDNS (host process on the node address; no upstream: names outside cluster.local fail) -----
cat >"$NODE_DIR/Corefile" <<EOF
.:53 {
    bind $NODE_IP
    errors
    health 127.0.0.1:$COREDNS_HEALTH_PORT
    ready 127.0.0.1:$((COREDNS_HEALTH_PORT + 1))
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig $NODE_DIR/coredns.kubeconfig e2e
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    cache 5
    loop
    reload
}
EOF
rp_start coredns "$BIN/coredns" -conf "$NODE_DIR/Corefile"
rp_wait coredns 60 curl -fsS --max-time 2 "http://127.0.0.1:$((COREDNS_HEALTH_PORT + 1))/ready" \
  || { tail -30 "$RP_LOGS/coredns.log" >&2; rp_die "coredns did not become ready"; }

# ---- NetworkPolicy: kube-router, policy controller only (iptables + ipset) -------------------------
rp_start kube-router "$BIN/kube-router" --kubeconfig "$NODE_DIR/kube-router.kubeconfig" \
  --hostname-override "$NODE_NAME" --run-firewall=true --run-router=false --run-service-proxy=false \
  --enable-cni=false --enable-ipv4=true --enable-ipv6=false --service-cluster-ip-range "$SERVICE_CIDR" \
  --health-port 0 --metrics-port 0 --iptables-sync-period 30s --v 1
# (its health server would listen on every interface, so it is off; ready = its FORWARD chain exists)
rp_wait kube-router 60 iptables -t filter -n -L KUBE-ROUTER-FORWARD \
  || { tail -30 "$RP_LOGS/kube-router.log" >&2; rp_die "kube-router did not program its chains"; }

# ---- local PV provisioner --------------------------------------------------------------------------
# Creates a `local` PV (reclaim Retain, node affinity to this node) for every Pending claim of
# class realpods-local, in $NODE_DIR/pv/<namespace>/<claim>-<claim uid prefix>. The data stays on
# disk when pods are deleted and when a StatefulSet is replaced (its claims are kept, so are their
# PVs); a claim that is deleted and created again is a new claim and gets a new, empty directory
# (the old PV is Released and keeps its data until node-down).
mkdir -p "$NODE_DIR/pv"
cat >"$NODE_DIR/provisioner.sh" <<'EOF'
#!/usr/bin/env bash
set -uo pipefail
KUBECTL="$1" KCFG="$2" PVROOT="$3" NODE="$4"
k() { "$KUBECTL" --kubeconfig "$KCFG" "$@"; }
while sleep 1; do
  k get pvc -A -o json 2>/dev/null | jq -c '.items[] | select(.status.phase == "Pending" and .spec.storageClassName == "realpods-local" and (.spec.volumeName // "") == "")' |
  while read -r pvc; do
    ns=$(jq -r .metadata.namespace <<<"$pvc"); name=$(jq -r .metadata.name <<<"$pvc"); uid=$(jq -r .metadata.uid <<<"$pvc")
    size=$(jq -r '.spec.resources.requests.storage // "1Gi"' <<<"$pvc"); modes=$(jq -c '.spec.accessModes' <<<"$pvc")
    dir="$PVROOT/$ns/$name-${uid:0:8}"; mkdir -p "$dir"
    pv="realpods-${uid:0:8}-$name"; pv="${pv:0:63}"
    jq -n --arg pv "$pv" --arg size "$size" --argjson modes "$modes" --arg ns "$ns" --arg name "$name" \
       --arg uid "$uid" --arg dir "$dir" --arg node "$NODE" '{
      apiVersion: "v1", kind: "PersistentVolume",
      metadata: {name: $pv, labels: {"realpods.e2e/owned": "true"}, annotations: {"pv.kubernetes.io/provisioned-by": "realpods.e2e/local"}},
      spec: {capacity: {storage: $size}, accessModes: $modes, persistentVolumeReclaimPolicy: "Retain",
        storageClassName: "realpods-local", volumeMode: "Filesystem",
        claimRef: {namespace: $ns, name: $name, uid: $uid},
        local: {path: $dir},
        nodeAffinity: {required: {nodeSelectorTerms: [{matchExpressions: [{key: "kubernetes.io/hostname", operator: "In", values: [$node]}]}]}}}}' |
      k create -f - >/dev/null 2>&1 && echo "$(date -u +%T) provisioned $pv for $ns/$name at $dir"
  done
done
EOF
chmod 755 "$NODE_DIR/provisioner.sh"
rp_start provisioner "$NODE_DIR/provisioner.sh" "$KUBECTL" "$KUBECONFIG_FILE" "$NODE_DIR/pv" "$NODE_NAME"

rp_time "node-up (node $NODE_NAME Ready, kube-proxy, CoreDNS, kube-router, provisioner)" "$(($(date +%s) - T0))"
rp_log "node $NODE_NAME is up: containerd $CTRD_SOCK, pods on $BRIDGE ($POD_CIDR), DNS $CLUSTER_DNS"
rp_log "  crictl: $BIN/crictl --runtime-endpoint unix://$CTRD_SOCK ps"
echo "$KUBECONFIG_FILE"
