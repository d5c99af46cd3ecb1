#!/usr/bin/env bash
# Smoke test on the REAL node (node-up.sh): deploys the app image with the PostgreSQL and Redis
# stand-ins (test fixtures from images.sh) into a namespace that enforces the restricted Pod
# Security Standard, then checks that
#   - every pod really runs (Running, Ready, 0 restarts; containers seen by the CRI),
#   - a vote round trip works through the app Service's ClusterIP (kube-proxy),
#   - cluster DNS works from inside a pod, and a pod reaches another Service by name,
#   - data survives: PostgreSQL's pod deleted, then its StatefulSet replaced (local PV),
#   - a pod in another namespace cannot reach PostgreSQL once a NetworkPolicy denies it,
#     while the app (allowed by the policy) still can.
# Ends with "N passed, N failed"; exit status 0 only when nothing failed.
# The manifests are minimal ones written here (same shape as the project's components: uid 70
# PostgreSQL with PGDATA below the data mount, uid 999 Redis, uid 10001 app with a migrate init
# container, read-only root filesystems). E2E_RP_KEEP=1 keeps the namespaces afterwards.
set -uo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=../lib.sh
source "$REPO_ROOT/e2e/lib.sh"

NS="${E2E_RP_NS:-rp-smoke}"
OTHER_NS="$NS-other"
CBIN="$("$REPO_ROOT/e2e/toolchain.sh" --print)"
KUBECTL="$CBIN/kubectl"; [ -x "$KUBECTL" ] || KUBECTL="$(command -v kubectl)" || rp_die "no kubectl"
k() { "$KUBECTL" --kubeconfig "$KUBECONFIG_FILE" "$@"; }
BIN="$(rp_bin)"
pass=0; fail=0
ok() { pass=$((pass + 1)); printf 'PASS  %s\n' "$*"; }
bad() { fail=$((fail + 1)); printf 'FAIL  %s\n' "$*"; }
check() { local what="$1"; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
finish() {
  if [ "${E2E_RP_KEEP:-0}" != 1 ]; then
    k delete namespace "$NS" "$OTHER_NS" --ignore-not-found --wait=false >/dev/null 2>&1 || true
  fi
  echo "$pass passed, $fail failed"
  [ "$fail" = 0 ]
}

k get node "$NODE_NAME" >/dev/null 2>&1 || { bad "node $NODE_NAME exists (run e2e/realpods/node-up.sh)"; finish; exit 1; }
APP_DIGEST="$(in_registry clickvote:realpods)"
[ -n "$APP_DIGEST" ] || { bad "app image in the loopback registry (run e2e/realpods/images.sh)"; finish; exit 1; }
APP_IMAGE="$REG/clickvote@$APP_DIGEST"
# the stand-ins by their Docker Hub names: containerd's mirror for Docker Hub is the loopback registry
PG_IMAGE="$(hub_domain)/library/postgres:17-standin"
REDIS_IMAGE="$(hub_domain)/library/redis:7-standin"
PG_PASSWORD="$(openssl rand -hex 16)"; REDIS_PASSWORD="$(openssl rand -hex 16)"

k delete namespace "$NS" "$OTHER_NS" --ignore-not-found --wait=true --timeout=90s >/dev/null 2>&1 || true
T0=$(date +%s)
restricted='{allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}'
pod_sc() { echo "{runAsNonRoot: true, runAsUser: $1, runAsGroup: $1, fsGroup: $1, seccompProfile: {type: RuntimeDefault}}"; }

postgres_statefulset() {
  cat <<EOF
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: rp-postgres, namespace: $NS}
spec:
  serviceName: rp-postgres
  replicas: 1
  selector: {matchLabels: {app: rp-postgres}}
  template:
    metadata: {labels: {app: rp-postgres}}
    spec:
      nodeSelector: {kubernetes.io/hostname: $NODE_NAME}
      securityContext: $(pod_sc 70)
      terminationGracePeriodSeconds: 20
      containers:
      - name: postgres
        image: $PG_IMAGE
        env:
        - {name: POSTGRES_USER, value: clickvote}
        - {name: POSTGRES_DB, value: clickvote}
        - {name: POSTGRES_PASSWORD, valueFrom: {secretKeyRef: {name: rp-credentials, key: pg}}}
        - {name: PGDATA, value: /data/pgdata}
        ports: [{name: postgres, containerPort: 5432}]
        securityContext: $restricted
        readinessProbe:
          exec: {command: [pg_isready, -h, 127.0.0.1, -p, "5432", -U, clickvote, -d, clickvote]}
          periodSeconds: 2
        resources: {requests: {cpu: 50m, memory: 128Mi}, limits: {memory: 512Mi}}
        volumeMounts:
        - {name: data, mountPath: /data}
        - {name: run, mountPath: /var/run/postgresql}
        - {name: tmp, mountPath: /tmp}
        - {name: shm, mountPath: /dev/shm}
      volumes:
      - {name: run, emptyDir: {}}
      - {name: tmp, emptyDir: {}}
      - {name: shm, emptyDir: {medium: Memory, sizeLimit: 128Mi}}
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], storageClassName: realpods-local, resources: {requests: {storage: 1Gi}}}
EOF
}

{
  cat <<EOF
apiVersion: v1
kind: Namespace
metadata:
  name: $NS
  labels: {pod-security.kubernetes.io/enforce: restricted, pod-security.kubernetes.io/warn: restricted}
---
apiVersion: v1
kind: Namespace
metadata:
  name: $OTHER_NS
  labels: {pod-security.kubernetes.io/enforce: restricted}
---
apiVersion: v1
kind: Secret
metadata: {name: rp-credentials, namespace: $NS}
stringData:
  pg: "$PG_PASSWORD"
  redis: "$REDIS_PASSWORD"
  database-url: "postgres://clickvote:$PG_PASSWORD@rp-postgres:5432/clickvote"
  redis-url: "redis://:$REDIS_PASSWORD@rp-redis:6379"
---
apiVersion: v1
kind: Service
metadata: {name: rp-postgres, namespace: $NS}
spec: {selector: {app: rp-postgres}, ports: [{name: postgres, port: 5432, targetPort: 5432}]}
---
EOF
  postgres_statefulset
  cat <<EOF
---
apiVersion: v1
kind: Service
metadata: {name: rp-redis, namespace: $NS}
spec: {selector: {app: rp-redis}, ports: [{name: redis, port: 6379, targetPort: 6379}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: rp-redis, namespace: $NS}
spec:
  replicas: 1
  selector: {matchLabels: {app: rp-redis}}
  template:
    metadata: {labels: {app: rp-redis}}
    spec:
      nodeSelector: {kubernetes.io/hostname: $NODE_NAME}
      securityContext: $(pod_sc 999)
      containers:
      - name: redis
        image: $REDIS_IMAGE
        command: [redis-server, --requirepass, \$(REDIS_PASSWORD), --save, "", --appendonly, "no", --bind, 0.0.0.0]
        env: [{name: REDIS_PASSWORD, valueFrom: {secretKeyRef: {name: rp-credentials, key: redis}}}]
        ports: [{name: redis, containerPort: 6379}]
        securityContext: $restricted
        readinessProbe:
          exec: {command: [sh, -c, 'redis-cli -a "\$REDIS_PASSWORD" --no-auth-warning ping | grep -q PONG']}
          periodSeconds: 2
        resources: {requests: {cpu: 20m, memory: 32Mi}, limits: {memory: 128Mi}}
        volumeMounts: [{name: data, mountPath: /data}]
      volumes: [{name: data, emptyDir: {}}]
---
apiVersion: v1
kind: Service
metadata: {name: rp-app, namespace: $NS}
spec: {selector: {app: rp-app}, ports: [{name: http, port: 80, targetPort: 8080}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: rp-app, namespace: $NS}
spec:
  replicas: 2
  selector: {matchLabels: {app: rp-app}}
  template:
    metadata: {labels: {app: rp-app, clickvote.e2e/db-client: "true"}}
    spec:
      nodeSelector: {kubernetes.io/hostname: $NODE_NAME}
      securityContext: $(pod_sc 10001)
      terminationGracePeriodSeconds: 25
      initContainers:
      - name: migrate
        image: $APP_IMAGE
        command: [node, dist/migrate.js]
        env: [{name: DATABASE_URL, valueFrom: {secretKeyRef: {name: rp-credentials, key: database-url}}}]
        securityContext: $restricted
        volumeMounts: [{name: tmp, mountPath: /tmp}]
      containers:
      - name: app
        image: $APP_IMAGE
        env:
        - {name: DATABASE_URL, valueFrom: {secretKeyRef: {name: rp-credentials, key: database-url}}}
        - {name: REDIS_URL, valueFrom: {secretKeyRef: {name: rp-credentials, key: redis-url}}}
        ports: [{name: http, containerPort: 8080}]
        securityContext: $restricted
        startupProbe: {httpGet: {path: /healthz, port: 8080}, periodSeconds: 1, failureThreshold: 60}
        readinessProbe: {httpGet: {path: /readyz, port: 8080}, periodSeconds: 2}
        livenessProbe: {httpGet: {path: /healthz, port: 8080}, periodSeconds: 10}
        resources: {requests: {cpu: 50m, memory: 64Mi}, limits: {memory: 256Mi}}
        volumeMounts: [{name: tmp, mountPath: /tmp}]
      volumes: [{name: tmp, emptyDir: {medium: Memory, sizeLimit: 64Mi}}]
EOF
} >"$RP/smoke-manifests.yaml"

warn="$(k apply -f "$RP/smoke-manifests.yaml" 2>&1 >/dev/null)"
check "manifests accepted by the restricted Pod Security admission (no warnings)" test -z "$(grep -i 'would violate\|forbidden' <<<"$warn")"
[ -z "$warn" ] || printf '      %s\n' "$warn"

wait_ready() { # namespace selector seconds
  k -n "$1" wait --for=condition=Ready pod -l "$2" --timeout="${3}s" >/dev/null 2>&1
}
check "PostgreSQL stand-in pod Ready (local PV provisioned and bound)" wait_ready "$NS" app=rp-postgres 240
check "Redis stand-in pod Ready" wait_ready "$NS" app=rp-redis 180
check "app pods Ready (migrate init container completed)" wait_ready "$NS" app=rp-app 240
rp_time "smoke: all pods Ready after apply" "$(($(date +%s) - T0))"

all_running() {
  local out
  out="$(k get pods -A -o json | jq -r --arg n "$NODE_NAME" --arg a "$NS" --arg b "$OTHER_NS" \
    '.items[] | select(.spec.nodeName == $n and (.metadata.namespace == $a or .metadata.namespace == $b))
     | "\(.metadata.namespace)/\(.metadata.name) \(.status.phase) \([.status.containerStatuses[]?.restartCount] | add // 0) \([.status.containerStatuses[]? | select(.state.running == null)] | length)"')"
  while IFS= read -r line; do printf '      %s\n' "$line"; done <<<"$out"
  [ -n "$out" ] && ! awk '$2 != "Running" || $3 != 0 || $4 != 0 {bad = 1} END {exit !bad}' <<<"$out"
}
check "all pods Running with 0 restarts" all_running
cri_running() {
  # app x2, postgres, redis: each pod's container must be a running container in containerd
  local ids n=0 id
  ids="$(k get pods -n "$NS" -o jsonpath='{range .items[*]}{.status.containerStatuses[*].containerID}{"\n"}{end}' | sed 's#^containerd://##')"
  for id in $ids; do
    "$BIN/crictl" --runtime-endpoint "unix://$CTRD_SOCK" inspect "$id" 2>/dev/null | jq -e '.status.state == "CONTAINER_RUNNING"' >/dev/null && n=$((n + 1))
  done
  echo "      CRI: $n of $(wc -w <<<"$ids") containers of the pods are running in containerd"; [ "$n" -ge 4 ] && [ "$n" = "$(wc -w <<<"$ids")" ]
}
check "containers really run in containerd (crictl ps)" cri_running
uid_check() {
  local id u ro
  id="$(k -n "$NS" get pods -l app=rp-app -o jsonpath='{.items[0].status.containerStatuses[0].containerID}' | sed 's#^containerd://##')"
  [ -n "$id" ] || return 1
  u="$("$BIN/crictl" --runtime-endpoint "unix://$CTRD_SOCK" inspect "$id" 2>/dev/null | jq -r '.info.runtimeSpec.process.user.uid')"
  ro="$("$BIN/crictl" --runtime-endpoint "unix://$CTRD_SOCK" inspect "$id" 2>/dev/null | jq -r '.info.runtimeSpec.root.readonly')"
  echo "      app container $id: uid $u, read-only root $ro"; [ "$u" = 10001 ] && [ "$ro" = true ]
}
check "app container runs as uid 10001 with a read-only root filesystem (runtime spec)" uid_check

# run_pod <namespace> <name> <labels (yaml flow map)> <node script>: runs the script in a pod of the
# app image and prints what it wrote to its termination message (read from the pod status, so the
# test needs no kubectl exec/logs; see README: the apiserver cannot reach the kubelet by name)
run_pod() {
  local ns="$1" name="$2" labels="$3" script="$4" i phase
  k -n "$ns" delete pod "$name" --ignore-not-found --wait=true >/dev/null 2>&1
  k apply -f - >/dev/null <<EOF || return 1
apiVersion: v1
kind: Pod
metadata: {name: $name, namespace: $ns, labels: $labels}
spec:
  nodeSelector: {kubernetes.io/hostname: $NODE_NAME}
  restartPolicy: Never
  securityContext: $(pod_sc 10001)
  containers:
  - name: run
    image: $APP_IMAGE
    command: [node, -e, $(jq -Rn --arg s "const report = (m) => { require('fs').writeFileSync('/dev/termination-log', String(m)); process.exit(0); }; $script" '$s')]
    securityContext: $restricted
EOF
  for ((i = 0; i < 120; i++)); do
    phase="$(k -n "$ns" get pod "$name" -o jsonpath='{.status.phase}' 2>/dev/null)"
    case "$phase" in Succeeded|Failed) break ;; esac
    sleep 0.5
  done
  k -n "$ns" get pod "$name" -o jsonpath='{.status.containerStatuses[0].state.terminated.message}' 2>/dev/null
  k -n "$ns" delete pod "$name" --ignore-not-found --wait=false >/dev/null 2>&1
}

# ---- vote round trip through the Service ClusterIP (from the host, via kube-proxy) -----------------
CIP="$(k -n "$NS" get svc rp-app -o jsonpath='{.spec.clusterIP}')"
vote_round_trip() {
  local target tid voter code counts
  target="$(curl -fsS --max-time 10 -H 'content-type: application/json' -d '{"name":"realpods smoke"}' "http://$CIP/api/targets")" || return 1
  tid="$(jq -r .id <<<"$target")"; voter="$(cat /proc/sys/kernel/random/uuid)"
  code="$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -X PUT -H 'content-type: application/json' \
    -d '{"value":"up"}' "http://$CIP/api/targets/$tid/votes/$voter")"
  counts="$(curl -fsS --max-time 10 "http://$CIP/api/targets/$tid/counts")" || return 1
  echo "      ClusterIP $CIP: target $tid, PUT vote -> $code, counts $counts"
  echo "$tid" >"$RP/smoke-target"
  [ "$code" = 201 ] && [ "$(jq -r .up <<<"$counts")" = 1 ]
}
check "vote round trip via Service ClusterIP (POST target, PUT vote up, GET counts up=1)" vote_round_trip

# ---- DNS and service-to-service from inside a pod --------------------------------------------------
in_pod() { run_pod "$NS" rp-run '{app: rp-run}' "$1"; }
dns_check() {
  local out
  out="$(in_pod "require('dns').promises.lookup('rp-app.$NS.svc.cluster.local').then(a => report(a.address), e => report(e.code))")"
  echo "      rp-app.$NS.svc.cluster.local -> $out (Service $CIP)"; [ "$out" = "$CIP" ]
}
check "cluster DNS from a pod resolves the Service name to its ClusterIP" dns_check
pod_to_svc() {
  local out
  out="$(in_pod "fetch('http://rp-app.$NS/readyz').then(async r => report(r.status + ' ' + await r.text()), e => report(String(e.cause && e.cause.code || e)))")"
  echo "      pod -> http://rp-app.$NS/readyz: $out"; [ "${out%% *}" = 200 ]
}
check "pod -> Service by short name -> pod (readyz 200)" pod_to_svc

# ---- persistence on the local PV ------------------------------------------------------------------
# a vote by a new voter invalidates the cached counts, so the count read afterwards comes from
# PostgreSQL: it is one more than before only if the earlier votes are still there
# (the same voter is retried while the app reconnects to the new PostgreSQL pod: a repeated PUT of
# the same vote changes nothing)
vote_once() { # voter expected
  local tid up; tid="$(cat "$RP/smoke-target")"
  curl -fsS --max-time 10 -o /dev/null -X PUT -H 'content-type: application/json' -d '{"value":"up"}' \
    "http://$CIP/api/targets/$tid/votes/$1" 2>/dev/null || return 1
  up="$(curl -fsS --max-time 10 "http://$CIP/api/targets/$tid/counts" | jq -r .up)"
  echo "$up" >"$RP/smoke-up"; [ "$up" = "$2" ]
}
vote_again() { # expected up count afterwards
  local voter; voter="$(cat /proc/sys/kernel/random/uuid)"
  rp_wait "the vote to be accepted" 60 vote_once "$voter" "$1"
  local rc=$?; echo "      up=$(cat "$RP/smoke-up" 2>/dev/null) (expected $1)"; return "$rc"
}
persist_pod() {
  k -n "$NS" delete pod rp-postgres-0 --wait=true --timeout=60s >/dev/null 2>&1
  wait_ready "$NS" app=rp-postgres 120 || return 1
  rp_wait "app ready again" 60 wait_ready "$NS" app=rp-app 2
  vote_again 2
}
check "vote survives deletion of the PostgreSQL pod (same PV)" persist_pod
persist_sts() {
  k -n "$NS" delete statefulset rp-postgres --wait=true --timeout=60s >/dev/null 2>&1
  rp_wait "postgres pod gone" 60 sh -c "! $KUBECTL --kubeconfig $KUBECONFIG_FILE -n $NS get pod rp-postgres-0 >/dev/null 2>&1"
  postgres_statefulset | k apply -f - >/dev/null || return 1
  sleep 2; wait_ready "$NS" app=rp-postgres 120 || return 1
  rp_wait "app ready again" 60 wait_ready "$NS" app=rp-app 2
  vote_again 3
}
check "vote survives replacement of the PostgreSQL StatefulSet (claim kept, data on disk)" persist_sts

# ---- NetworkPolicy ---------------------------------------------------------------------------------
tcp_from() { # namespace labels [tries] -> open | timeout | <error code> (of the last try, 1 s apart)
  run_pod "$1" rp-tcp "$2" "let left = ${3:-1}; const attempt = () => { const s = require('net').connect(5432, 'rp-postgres.$NS.svc.cluster.local');
    const end = (m) => { s.destroy(); if (m === 'open' || --left <= 0) report(m); else setTimeout(attempt, 1000); };
    s.setTimeout(3000); s.on('connect', () => end('open')); s.on('timeout', () => end('timeout')); s.on('error', e => end(e.code)); }; attempt();"
}
r="$(tcp_from "$OTHER_NS" '{app: probe}')"
check "without a policy, the pod in $OTHER_NS reaches PostgreSQL ($r)" test "$r" = open
k apply -f - >/dev/null <<EOF
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: postgres-from-app-only, namespace: $NS}
spec:
  podSelector: {matchLabels: {app: rp-postgres}}
  policyTypes: [Ingress]
  ingress:
  - from: [{podSelector: {matchLabels: {clickvote.e2e/db-client: "true"}}}]
    ports: [{port: 5432, protocol: TCP}]
EOF
denied() { r="$(tcp_from "$OTHER_NS" '{app: probe}')"; [ "$r" != open ]; }
if rp_wait "the NetworkPolicy to be enforced" 45 denied; then ok "with the NetworkPolicy, the pod in $OTHER_NS cannot reach PostgreSQL ($r)"
else bad "with the NetworkPolicy, the pod in $OTHER_NS cannot reach PostgreSQL (still: $r)"; fi
# a new pod's address reaches the enforcer's allow set asynchronously (trap 12), so the pod itself
# tries for up to 20 s: a new pod per try would race the enforcer every time
allowed() { r="$(tcp_from "$NS" '{app: rp-client, clickvote.e2e/db-client: "true"}' 20)"; [ "$r" = open ]; }
rp_wait "the allowed pod to be let through" 45 allowed
check "with the NetworkPolicy, a pod the policy allows still reaches PostgreSQL ($r)" test "$r" = open
app_ready_after() {
  local code; code="$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' "http://$CIP/readyz")"; echo "      /readyz via ClusterIP: $code"; [ "$code" = 200 ]
}
check "app /readyz still 200 under the policy" app_ready_after
rp_time "smoke-test total" "$(($(date +%s) - T0))"
finish
