#!/usr/bin/env bash
# Stops the local e2e cluster started by cluster-up.sh: every process whose pid
# it recorded (TERM, then KILL after 15 s). Safe to run when nothing is running.
#   e2e/cluster-down.sh           stop, keep state (certs, logs)
#   e2e/cluster-down.sh --purge   stop and delete the whole state dir
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

purge=0
case "${1:-}" in
  --purge) purge=1 ;;
  "") ;;
  *) e2e_die "unknown argument: $1 (use --purge)" ;;
esac

pids=()
# reverse start order: clients first, etcd last
for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do
  c="${COMPONENTS[$i]}"
  if pid="$(e2e_pid "$c")"; then
    e2e_log "stopping $c (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    pids+=("$pid")
  fi
  rm -f "$PIDS/$c.pid"
done

for ((t = 0; t < 60; t++)); do
  left=()
  for pid in "${pids[@]}"; do [ -d "/proc/$pid" ] && left+=("$pid"); done
  [ "${#left[@]}" -eq 0 ] && break
  sleep 0.25
done
for pid in "${left[@]:-}"; do
  [ -n "$pid" ] && [ -d "/proc/$pid" ] && { e2e_log "killing pid $pid"; kill -KILL "$pid" 2>/dev/null || true; }
done

if [ "$purge" = 1 ]; then
  rm -rf "$STATE"
  e2e_log "removed $STATE"
fi
e2e_log "cluster stopped"
