#!/usr/bin/env bash
# Checks a running e2e cluster (e2e/cluster-up.sh): in a namespace that
# enforces the "restricted" Pod Security Standard, a Deployment becomes Ready, a
# Job completes, a PVC binds, a privileged pod is rejected, and the failure
# hooks of kwok-stages.yaml work (never-ready image, failing migration Job).
# Deletes its namespace afterwards. Exit 0 = all checks passed.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

BIN="$("$E2E_DIR/toolchain.sh" --print)"
if [ -x "$BIN/kubectl" ]; then KUBECTL="$BIN/kubectl"; else KUBECTL="$(command -v kubectl)"; fi
export KUBECONFIG="${KUBECONFIG:-$KUBECONFIG_FILE}"
NS="${E2E_SMOKE_NAMESPACE:-e2e-smoke}"
k() { "$KUBECTL" "$@"; }

passed=0 failed=0
check() { # description command...
  local what="$1"; shift
  if "$@" >/tmp/e2e-smoke.$$ 2>&1; then
    passed=$((passed + 1)); printf 'ok   %s\n' "$what"
  else
    failed=$((failed + 1)); printf 'FAIL %s\n' "$what"; sed 's/^/     /' /tmp/e2e-smoke.$$ | tail -n 15
  fi
  rm -f /tmp/e2e-smoke.$$
}

k delete namespace "$NS" --ignore-not-found --wait=true --timeout=60s >/dev/null
k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Namespace
metadata:
  name: $NS
  labels:
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/enforce-version: latest
EOF
k -n "$NS" wait --for=jsonpath='{.metadata.name}'=default serviceaccount/default --timeout=30s >/dev/null

sc='securityContext:
          allowPrivilegeEscalation: false
          runAsNonRoot: true
          runAsUser: 1000
          capabilities: {drop: [ALL]}
          seccompProfile: {type: RuntimeDefault}'
# deployment NAME REPLICAS IMAGE: a restricted Deployment manifest
deployment() {
  cat <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: $1}
spec:
  replicas: $2
  selector: {matchLabels: {app: $1}}
  template:
    metadata: {labels: {app: $1}}
    spec:
      containers:
      - name: web
        image: $3
        $sc
EOF
}
# job NAME BACKOFF_LIMIT EXTRA: a restricted Job manifest; EXTRA is one more container field
job() {
  cat <<EOF
apiVersion: batch/v1
kind: Job
metadata: {name: $1}
spec:
  backoffLimit: $2
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: migrate
        image: registry.invalid/clickvote:smoke
        $3
        $sc
EOF
}
k -n "$NS" apply -f - >/dev/null <<EOF
$(deployment web 2 registry.invalid/clickvote:smoke)
---
$(deployment stuck 1 registry.invalid/clickvote:never-ready)
---
$(job migrate 0 'args: [migrate]')
---
$(job migrate-fails 1 'env: [{name: CLICKVOTE_E2E_FAIL_MIGRATION, value: "1"}]')
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
EOF

check "Deployment web becomes Available (2/2 Ready)" \
  k -n "$NS" rollout status deployment/web --timeout=60s
check "Job migrate completes" \
  k -n "$NS" wait --for=condition=Complete job/migrate --timeout=60s
check "PVC data binds (default StorageClass standard)" \
  k -n "$NS" wait --for=jsonpath='{.status.phase}'=Bound pvc/data --timeout=60s
check "Job migrate-fails (CLICKVOTE_E2E_FAIL_MIGRATION=1) fails" \
  k -n "$NS" wait --for=condition=Failed job/migrate-fails --timeout=60s
check "never-ready pod runs but stays unready" bash -c "
  sleep 5
  '$KUBECTL' -n '$NS' wait --for=jsonpath='{.status.phase}'=Running pod -l app=stuck --timeout=30s &&
  [ \"\$('$KUBECTL' -n '$NS' get pod -l app=stuck -o jsonpath='{.items[0].status.conditions[?(@.type==\"Ready\")].status}')\" = False ]"
check "privileged pod is rejected by PodSecurity (restricted)" bash -c "
  out=\$('$KUBECTL' -n '$NS' run priv --image=registry.invalid/x --privileged=true --restart=Never 2>&1) && exit 1
  echo \"\$out\"; echo \"\$out\" | grep -q 'violates PodSecurity'"

if [ "${E2E_SMOKE_KEEP:-0}" != 1 ]; then
  check "namespace deleted (pods, PVC and its PV cleaned up)" bash -c "
    '$KUBECTL' delete namespace '$NS' --wait=true --timeout=90s &&
    for i in \$(seq 1 40); do
      [ -z \"\$('$KUBECTL' get pv -o name)\" ] && exit 0; sleep 0.5
    done; '$KUBECTL' get pv; exit 1"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
