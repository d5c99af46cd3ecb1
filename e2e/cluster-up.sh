#!/usr/bin/env bash
# Starts a throw-away Kubernetes control plane on 127.0.0.1 for end-to-end tests:
# etcd, kube-apiserver (PodSecurity admission on), kube-controller-manager,
# kube-scheduler and kwok simulating two nodes (pods "run" without containers).
# A default StorageClass "standard" (Immediate binding) gets a PV per claim from
# a kwok stage. Prints the kubeconfig path as the last line of stdout.
#
#   e2e/cluster-up.sh            start (or report the running cluster)
#   export KUBECONFIG="$(e2e/cluster-up.sh)"
#   e2e/cluster-down.sh          stop everything
#
# State (certificates, etcd data, logs, pids, kubeconfig) lives in
# $E2E_STATE_DIR (default ~/.cache/clickvote-e2e/cluster). Each start is a fresh
# cluster: etcd data from an earlier run is wiped; certificates are kept.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

NODES="${E2E_NODES:-2}"
NODE_CPU="${E2E_NODE_CPU:-16}"
NODE_MEMORY="${E2E_NODE_MEMORY:-64Gi}"
NODE_PODS="${E2E_NODE_PODS:-110}"
SERVICE_CIDR="${E2E_SERVICE_CIDR:-10.96.0.0/16}"   # virtual: nothing listens there
SERVICE_IP="${E2E_SERVICE_IP:-10.96.0.1}"

BIN="$("$E2E_DIR/toolchain.sh" --print)"
for b in etcd kube-apiserver kube-controller-manager kube-scheduler kwok; do
  if [ ! -x "$BIN/$b" ]; then
    e2e_log "$b missing in $BIN; building the cluster binaries (e2e/toolchain.sh)"
    E2E_ONLY="etcd kwok k8s" "$E2E_DIR/toolchain.sh" >/dev/null
    break
  fi
done
if [ -x "$BIN/kubectl" ]; then KUBECTL="$BIN/kubectl"; else KUBECTL="$(command -v kubectl)" || e2e_die "no kubectl"; fi
command -v openssl >/dev/null || e2e_die "openssl is required"
command -v curl >/dev/null || e2e_die "curl is required"

# ---- already running? -------------------------------------------------------
running=0
for c in "${COMPONENTS[@]}"; do e2e_pid "$c" >/dev/null && running=$((running + 1)); done
if [ "$running" -eq "${#COMPONENTS[@]}" ] && e2e_curl /readyz >/dev/null 2>&1; then
  e2e_log "cluster already running; export KUBECONFIG=$KUBECONFIG_FILE"
  echo "$KUBECONFIG_FILE"
  exit 0
fi
if [ "$running" -gt 0 ]; then
  e2e_log "partial cluster found ($running of ${#COMPONENTS[@]} running): restarting"
fi
"$E2E_DIR/cluster-down.sh" >/dev/null 2>&1 || true
rm -rf "$STATE/etcd-data" "$STATE/apiserver-certs" "$PIDS" "$LOGS"
mkdir -p "$PKI" "$PIDS" "$LOGS" "$STATE/etcd-data"
chmod 700 "$STATE" "$STATE/etcd-data"

# ---- PKI -----------------------------------------------------------------------
gen_cert() { # name subject [extfile-content]
  local name="$1" subj="$2" ext="$3"
  openssl req -new -newkey rsa:2048 -nodes -keyout "$PKI/$name.key" -subj "$subj" \
    -out "$PKI/$name.csr" 2>/dev/null
  printf '%s\n' "$ext" >"$PKI/$name.ext"
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 3650 -sha256 -extfile "$PKI/$name.ext" -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$PKI/$name.csr" "$PKI/$name.ext"
}
if [ ! -s "$PKI/ca.crt" ] || [ ! -s "$PKI/admin.crt" ] || [ ! -s "$PKI/sa.pub" ] \
    || [ "$(cat "$PKI/apiserver.san" 2>/dev/null)" != "$SERVICE_IP" ]; then
  e2e_log "generating certificates in $PKI"
  rm -f "$PKI"/*
  openssl req -x509 -new -newkey rsa:2048 -nodes -keyout "$PKI/ca.key" -days 3650 -sha256 \
    -subj "/CN=clickvote-e2e-ca" -out "$PKI/ca.crt" 2>/dev/null
  gen_cert apiserver "/CN=kube-apiserver" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:$SERVICE_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  gen_cert admin "/O=system:masters/CN=clickvote-e2e-admin" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
  openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
  openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  echo "$SERVICE_IP" >"$PKI/apiserver.san"
  chmod 600 "$PKI"/*.key
fi

# ---- kubeconfig ------------------------------------------------------------------
b64() { base64 -w0 <"$1"; }
cat >"$KUBECONFIG_FILE" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: clickvote-e2e
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority-data: $(b64 "$PKI/ca.crt")
users:
- name: clickvote-e2e-admin
  user:
    client-certificate-data: $(b64 "$PKI/admin.crt")
    client-key-data: $(b64 "$PKI/admin.key")
contexts:
- name: clickvote-e2e
  context:
    cluster: clickvote-e2e
    user: clickvote-e2e-admin
    namespace: default
current-context: clickvote-e2e
EOF
chmod 600 "$KUBECONFIG_FILE"

# ---- start helpers -------------------------------------------------------------
start() { # name args...  (runs $BIN/name detached, records its pid)
  local name="$1"; shift
  setsid "$BIN/$name" "$@" </dev/null >"$LOGS/$name.log" 2>&1 &
  echo $! >"$PIDS/$name.pid"
}
wait_for() { # what seconds command...
  local what="$1" secs="$2" i; shift 2
  for ((i = 0; i < secs * 4; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.25
  done
  e2e_log "timed out waiting for $what; last log lines:"
  tail -n 30 "$LOGS"/*.log >&2 || true
  "$E2E_DIR/cluster-down.sh" >&2 || true
  exit 1
}
alive() { e2e_pid "$1" >/dev/null || { e2e_log "$1 exited; see $LOGS/$1.log"; tail -n 30 "$LOGS/$1.log" >&2; return 1; }; }

# ---- etcd ------------------------------------------------------------------------
start etcd --name e2e --data-dir "$STATE/etcd-data" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "e2e=http://127.0.0.1:$ETCD_PEER_PORT" --initial-cluster-state new \
  --unsafe-no-fsync --quota-backend-bytes 2147483648 --log-level warn
wait_for etcd 30 curl -fsS --max-time 2 "http://127.0.0.1:$ETCD_PORT/health"

# ---- kube-apiserver ----------------------------------------------------------------
start kube-apiserver \
  --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$APISERVER_PORT" \
  --cert-dir "$STATE/apiserver-certs" \
  --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
  --client-ca-file "$PKI/ca.crt" \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
  --service-cluster-ip-range "$SERVICE_CIDR" \
  --authorization-mode RBAC \
  --enable-admission-plugins PodSecurity,DefaultStorageClass,NamespaceLifecycle,ServiceAccount,LimitRanger,ResourceQuota \
  --endpoint-reconciler-type none \
  --allow-privileged=true --profiling=false
wait_for kube-apiserver 90 e2e_curl /readyz
alive kube-apiserver

# ---- controllers, scheduler, kwok ---------------------------------------------------
start kube-controller-manager \
  --kubeconfig "$KUBECONFIG_FILE" \
  --authentication-kubeconfig "$KUBECONFIG_FILE" --authorization-kubeconfig "$KUBECONFIG_FILE" \
  --bind-address 127.0.0.1 --secure-port "$KCM_PORT" \
  --service-account-private-key-file "$PKI/sa.key" --root-ca-file "$PKI/ca.crt" \
  --use-service-account-credentials=true --service-cluster-ip-range "$SERVICE_CIDR" \
  --cluster-signing-cert-file "$PKI/ca.crt" --cluster-signing-key-file "$PKI/ca.key" \
  --cluster-name clickvote-e2e --leader-elect=false --profiling=false
start kube-scheduler \
  --kubeconfig "$KUBECONFIG_FILE" \
  --authentication-kubeconfig "$KUBECONFIG_FILE" --authorization-kubeconfig "$KUBECONFIG_FILE" \
  --bind-address 127.0.0.1 --secure-port "$SCHED_PORT" --leader-elect=false --profiling=false
start kwok \
  --kubeconfig "$KUBECONFIG_FILE" --config "$E2E_DIR/kwok-stages.yaml" \
  --manage-all-nodes=true --node-lease-duration-seconds 40 \
  --server-address "127.0.0.1:$KWOK_PORT" --cidr 10.244.0.1/16

# ---- fake nodes and storage ------------------------------------------------------------
k() { "$KUBECTL" --kubeconfig "$KUBECONFIG_FILE" "$@"; }
{
  cat <<EOF
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: e2e.clickvote.local/kwok
reclaimPolicy: Delete
volumeBindingMode: Immediate
allowVolumeExpansion: true
EOF
  for ((i = 0; i < NODES; i++)); do
    cat <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/arch: amd64
    kubernetes.io/os: linux
    kubernetes.io/hostname: kwok-node-$i
    node-role.kubernetes.io/worker: ""
    type: kwok
status:
  allocatable: {cpu: "$NODE_CPU", memory: "$NODE_MEMORY", pods: "$NODE_PODS", ephemeral-storage: 100Gi}
  capacity: {cpu: "$NODE_CPU", memory: "$NODE_MEMORY", pods: "$NODE_PODS", ephemeral-storage: 100Gi}
EOF
  done
} >"$STATE/bootstrap.yaml"
wait_for "bootstrap objects" 30 k apply -f "$STATE/bootstrap.yaml"

wait_for "nodes Ready" 60 k wait --for=condition=Ready node --all --timeout=1s
wait_for "default ServiceAccount" 60 k get serviceaccount default -n default
for c in "${COMPONENTS[@]}"; do alive "$c"; done

e2e_log "cluster is up (apiserver https://127.0.0.1:$APISERVER_PORT, logs in $LOGS)"
e2e_log "export KUBECONFIG=$KUBECONFIG_FILE"
echo "$KUBECONFIG_FILE"
