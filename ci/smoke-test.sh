#!/usr/bin/env bash
# Smoke test of a deployed Clickvote through its Service:
#   ci/smoke-test.sh --namespace <ns> --service <svc>   port-forward to the Service
#   SMOKE_BASE_URL=http://host:port ci/smoke-test.sh    an address that is reachable already
#
# Waits until GET /readyz answers 200 (SMOKE_TIMEOUT seconds, default 180), then makes one
# vote round trip: POST /api/targets {"name"} -> 201 {id}; PUT /api/targets/<id>/votes/<uuid>
# {"value":"up"} -> 200/201; GET /api/targets/<id>/counts -> up 1, down 0. Exits non-zero
# naming the first step that failed.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

namespace=""
service=""
while [ "$#" -gt 0 ]; do
  case "$1" in
    --namespace) namespace="${2:-}"; shift 2 ;;
    --service) service="${2:-}"; shift 2 ;;
    *) ci_die "unknown argument $1" ;;
  esac
done
timeout_s="${SMOKE_TIMEOUT:-180}"
work="$(mktemp -d)"
forward_pid=""
cleanup() {
  if [ -n "$forward_pid" ]; then kill "$forward_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

start_forward() {
  local port="${SMOKE_LOCAL_PORT:-18080}"
  kubectl --namespace "$namespace" port-forward "service/$service" "$port:80" >"$work/port-forward.log" 2>&1 &
  forward_pid=$!
  base="http://127.0.0.1:$port"
}

if [ -n "${SMOKE_BASE_URL:-}" ]; then
  base="${SMOKE_BASE_URL%/}"
else
  if [ -z "$namespace" ] || [ -z "$service" ]; then ci_die "give --namespace and --service, or SMOKE_BASE_URL"; fi
  start_forward
fi

# request METHOD PATH [JSON]: prints the status code; the body is left in $work/body.
request() {
  local args=(--silent --show-error --max-time 10 --output "$work/body" --write-out '%{http_code}' -X "$1")
  if [ "$#" -ge 3 ]; then args+=(-H 'content-type: application/json' --data "$3"); fi
  local code
  code="$(curl "${args[@]}" "$base$2" 2>>"$work/curl.log")" || code=000
  printf '%s' "$code"
}

# field NAME: prints a top-level field of the last (JSON object) body; fails when it is missing.
field() {
  node -e 'const b = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); const v = b?.[process.argv[2]]; if (v === undefined || v === null) process.exit(3); process.stdout.write(String(v));' "$work/body" "$1"
}

deadline=$(( $(date +%s) + timeout_s ))
until [ "$(request GET /readyz)" = 200 ]; do
  if [ "$(date +%s)" -ge "$deadline" ]; then
    [ -f "$work/port-forward.log" ] && tail -n 5 "$work/port-forward.log" >&2
    ci_die "readiness: GET /readyz did not answer 200 within ${timeout_s}s"
  fi
  if [ -n "$forward_pid" ] && ! kill -0 "$forward_pid" 2>/dev/null; then start_forward; fi
  sleep 2
done
ci_log "ready: GET /readyz answered 200"

name="smoke-$(date +%s)-$RANDOM"
status="$(request POST /api/targets "{\"name\":\"$name\"}")"
[ "$status" = 201 ] || ci_die "create target: POST /api/targets answered $status, expected 201"
id="$(field id)" || ci_die "create target: the response has no id"
ci_log "created target $id"

voter="$(cat /proc/sys/kernel/random/uuid 2>/dev/null || node -e 'process.stdout.write(require("crypto").randomUUID())')"
status="$(request PUT "/api/targets/$id/votes/$voter" '{"value":"up"}')"
[ "$status" = 200 ] || [ "$status" = 201 ] || ci_die "vote: PUT /api/targets/$id/votes/$voter answered $status, expected 200 or 201"

status="$(request GET "/api/targets/$id/counts")"
[ "$status" = 200 ] || ci_die "counts: GET /api/targets/$id/counts answered $status, expected 200"
counts="$(field up)/$(field down)" || ci_die "counts: the response has no up and down counts"
[ "$counts" = "1/0" ] || ci_die "counts: expected up 1, down 0 after one up vote, got up/down $counts"
ci_log "vote round trip passed: up 1, down 0"
