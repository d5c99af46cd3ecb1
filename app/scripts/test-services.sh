#!/usr/bin/env bash
# Starts (or stops) throwaway PostgreSQL and Redis servers on loopback for the
# test suite and the benchmark. Installs the Debian packages when missing.
#   scripts/test-services.sh start|stop|status
# Ports and passwords can be overridden with the CLICKVOTE_TEST_* variables;
# test/support/services.ts uses the same defaults.
set -euo pipefail

PG_PORT="${CLICKVOTE_TEST_PG_PORT:-55432}"
PG_USER="${CLICKVOTE_TEST_PG_USER:-clickvote}"
PG_PASSWORD="${CLICKVOTE_TEST_PG_PASSWORD:-cv-test-pg-pw-7f3a9c}"
REDIS_PORT="${CLICKVOTE_TEST_REDIS_PORT:-56379}"
REDIS_PASSWORD="${CLICKVOTE_TEST_REDIS_PASSWORD:-cv-test-redis-pw-41d2e8}"
STATE_DIR="${CLICKVOTE_TEST_STATE_DIR:-/tmp/clickvote-test-services}"
PG_DATA="$STATE_DIR/pgdata"

log() { echo "test-services: $*" >&2; }

pg_bin_dir() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    if [ -x "$dir/initdb" ]; then echo "$dir"; return 0; fi
  done
  return 1
}

ensure_installed() {
  if pg_bin_dir >/dev/null && command -v redis-server >/dev/null && command -v redis-cli >/dev/null; then
    return 0
  fi
  if [ "$(id -u)" -ne 0 ]; then
    log "PostgreSQL or Redis is missing and this user cannot install them: run 'apt-get install -y postgresql redis-server' as root"
    exit 1
  fi
  log "installing postgresql and redis-server from Debian packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql redis-server >/dev/null
}

# root may not run postgres; drop to the postgres account when we are root.
as_pg_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_running() {
  local bin; bin="$(pg_bin_dir)" || return 1
  "$bin/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"
}

redis_running() {
  REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG
}

start_postgres() {
  if pg_running; then log "PostgreSQL already running on 127.0.0.1:$PG_PORT"; return 0; fi
  local bin; bin="$(pg_bin_dir)"
  rm -rf "$PG_DATA"
  mkdir -p "$STATE_DIR" "$PG_DATA"
  local pwfile="$STATE_DIR/pg-password"
  printf '%s\n' "$PG_PASSWORD" > "$pwfile"
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$PG_DATA" "$pwfile"; chmod 700 "$PG_DATA"; fi
  # Password (SCRAM) authentication over TCP; no other way in.
  as_pg_owner "$bin/initdb" -D "$PG_DATA" -U "$PG_USER" --pwfile="$pwfile" \
    --auth-host=scram-sha-256 --auth-local=scram-sha-256 -E UTF8 --no-instructions >"$STATE_DIR/initdb.log"
  rm -f "$pwfile"
  as_pg_owner "$bin/pg_ctl" -D "$PG_DATA" -l "$PG_DATA/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DATA -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null
  log "PostgreSQL running on 127.0.0.1:$PG_PORT (user $PG_USER)"
}

start_redis() {
  if redis_running; then log "Redis already running on 127.0.0.1:$REDIS_PORT"; return 0; fi
  mkdir -p "$STATE_DIR"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --requirepass "$REDIS_PASSWORD" \
    --daemonize yes --pidfile "$STATE_DIR/redis.pid" --logfile "$STATE_DIR/redis.log" \
    --dir "$STATE_DIR" --save '' --appendonly no
  for _ in $(seq 1 50); do
    if redis_running; then log "Redis running on 127.0.0.1:$REDIS_PORT"; return 0; fi
    sleep 0.1
  done
  log "Redis did not start; see $STATE_DIR/redis.log"
  exit 1
}

stop_all() {
  local bin
  if bin="$(pg_bin_dir)" && [ -f "$PG_DATA/postmaster.pid" ]; then
    as_pg_owner "$bin/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null || true
  fi
  if redis_running; then
    REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  fi
  rm -rf "$STATE_DIR"
  log "stopped"
}

case "${1:-}" in
  start) ensure_installed; start_postgres; start_redis ;;
  stop) stop_all ;;
  status)
    if pg_running && redis_running; then echo running; else echo stopped; exit 1; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
