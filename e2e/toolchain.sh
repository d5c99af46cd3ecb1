#!/usr/bin/env bash
# Puts (once) the binaries the end-to-end tests need into a cache and prints the
# directory holding them as the last line of stdout:
#   pulumi, pulumi-language-nodejs, pulumi-resource-kubernetes,
#   pulumi-resource-random, etcd, kube-apiserver, kube-controller-manager,
#   kube-scheduler, kubectl, kwok
#
# Seven are built from source with the local Go toolchain through the Go module
# proxy: pulumi, etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
# kubectl, kwok. The Node.js language host and the kubernetes and random
# providers are taken PREBUILT only, from E2E_PREBUILT_DIR or from PATH (Pulumi
# uses plugins found on PATH); this repository holds no recipe that builds them.
# Each copy is recorded with its source path and sha256. Two more are OPTIONAL:
# pulumi-resource-docker-build (the program's build mode) and
# pulumi-resource-docker (tag mode, and so the rollback of a built release),
# taken the same way when they can be found and otherwise reported "absent"
# without failing anything: the suites then deploy by digest and say what they
# left out. Output lives outside
# the repository:
#   ${CLICKVOTE_E2E_CACHE:-~/.cache/clickvote-e2e}/<versions-key>/bin   binaries
#   ${CLICKVOTE_E2E_CACHE:-~/.cache/clickvote-e2e}/<versions-key>/build-times.log
#   ${CLICKVOTE_E2E_CACHE:-~/.cache/clickvote-e2e}/work                 wrapper modules
#
# Usage:
#   e2e/toolchain.sh            build what is missing, print bin dir
#   e2e/toolchain.sh --check    exit 0 if every binary is cached, 1 otherwise
#   e2e/toolchain.sh --print    print the bin dir path only (no build)
#   e2e/toolchain.sh --times    print the recorded build times
#   e2e/toolchain.sh --status   one line per binary: cached, build (from the Go module
#                                       proxy), prebuilt (a copy to take) or missing, with the
#                                       fix; exit 0 when every binary is cached or obtainable
#   e2e/toolchain.sh --missing  the missing binaries and their fixes on one line ("; "
#                                       between them); exit 1 when there are any
#   E2E_ONLY="etcd kwok" e2e/toolchain.sh   only some groups
#                 (groups: etcd kwok k8s pulumi langhost k8sprovider randomprovider dockerbuildprovider
#                  dockerprovider)
#
# Builds run under `nice -n 15`.
set -euo pipefail

# ---------------------------------------------------------------- versions --
PULUMI_VERSION="${E2E_PULUMI_VERSION:-3.259.0}"            # pulumi CLI + nodejs language host
PULUMI_K8S_PROVIDER_VERSION="${E2E_PULUMI_K8S_PROVIDER_VERSION:-4.32.0}"
PULUMI_RANDOM_PROVIDER_VERSION="${E2E_PULUMI_RANDOM_PROVIDER_VERSION:-4.21.1}"
# optional (not in KEY: a copy of another release is taken again, see optional_cached)
PULUMI_DOCKER_BUILD_PROVIDER_VERSION="${E2E_PULUMI_DOCKER_BUILD_PROVIDER_VERSION:-0.0.22}"
PULUMI_DOCKER_PROVIDER_VERSION="${E2E_PULUMI_DOCKER_PROVIDER_VERSION:-5.2.0}" # the release @pulumi/docker asks for
K8S_VERSION="${E2E_K8S_VERSION:-1.34.4}"
ETCD_VERSION="${E2E_ETCD_VERSION:-3.6.16}"
KWOK_VERSION="${E2E_KWOK_VERSION:-0.8.0}"
RECIPE=1   # bump when the way binaries are built changes

KEY="r${RECIPE}-pulumi${PULUMI_VERSION}-k8sprov${PULUMI_K8S_PROVIDER_VERSION}-random${PULUMI_RANDOM_PROVIDER_VERSION}-k8s${K8S_VERSION}-etcd${ETCD_VERSION}-kwok${KWOK_VERSION}"
CACHE_ROOT="${CLICKVOTE_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/clickvote-e2e}"
OUT="$CACHE_ROOT/$KEY"
BIN="$OUT/bin"
WORK="$CACHE_ROOT/work"
TIMES="$OUT/build-times.log"

# Where each cached binary came from ("binary<TAB>how", the last line per binary counts), so
# --status can tell a binary built from the proxy from one copied in prebuilt.
PROVENANCE="$OUT/provenance.tsv"
record() { printf '%s\t%s\n' "$1" "$2" >>"$PROVENANCE"; }
provenance_of() { [ -f "$PROVENANCE" ] || return 0; awk -F'\t' -v b="$1" '$1 == b {how = $2} END {if (how != "") print how}' "$PROVENANCE"; }

BINARIES=(pulumi pulumi-language-nodejs pulumi-resource-kubernetes pulumi-resource-random
  etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok)

log() { printf 'toolchain: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

all_present() {
  local b
  for b in "${BINARIES[@]}"; do [ -x "$BIN/$b" ] || return 1; done
}

print_times() {
  [ -f "$TIMES" ] || { log "no build times recorded yet ($TIMES)"; return 0; }
  log "build times (seconds; cold = first build on this machine, warm = rebuild with Go module/build caches filled):"
  awk -F'\t' '{printf "  %-28s %-5s %6ss  (%s)\n", $2, $3, $4, $1}' "$TIMES" >&2
}

# The binaries taken prebuilt, with the release each must be ("binary version").
PREBUILT=(
  "pulumi-language-nodejs v$PULUMI_VERSION"
  "pulumi-resource-kubernetes v$PULUMI_K8S_PROVIDER_VERSION"
  "pulumi-resource-random v$PULUMI_RANDOM_PROVIDER_VERSION"
)
# Optional prebuilt binaries: used when present, "absent" (not missing) otherwise.
OPTIONAL=(
  "pulumi-resource-docker-build v$PULUMI_DOCKER_BUILD_PROVIDER_VERSION"
  "pulumi-resource-docker v$PULUMI_DOCKER_PROVIDER_VERSION"
)
# What the suites leave out without an optional binary.
without() {
  case "$1" in
    pulumi-resource-docker-build) echo "build mode is then not run for real" ;;
    pulumi-resource-docker) echo "tag mode, and the rollback of a built release, are then not run for real" ;;
  esac
}
BUILT=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok pulumi)

# prebuilt_source <binary>: prints where a prebuilt copy is (E2E_PREBUILT_DIR, then PATH)
prebuilt_source() {
  if [ -n "${E2E_PREBUILT_DIR:-}" ] && [ -x "$E2E_PREBUILT_DIR/$1" ]; then
    echo "$E2E_PREBUILT_DIR/$1"
  else
    command -v "$1" 2>/dev/null
  fi
}

version_of() { # the release a prebuilt or optional binary must be
  local entry
  for entry in "${PREBUILT[@]}" "${OPTIONAL[@]}"; do
    if [ "${entry%% *}" = "$1" ]; then echo "${entry#* }"; fi
  done
}
is_optional() { local entry; for entry in "${OPTIONAL[@]}"; do [ "${entry%% *}" = "$1" ] && return 0; done; return 1; }
# optional_cached <binary>: in the cache, copied for the release this script asks for
optional_cached() { [ -x "$BIN/$1" ] && [[ "$(provenance_of "$1")" == "prebuilt $(version_of "$1"),"* ]]; }
# optional_to_take: an optional binary is not cached (or of another release) and a copy can be had
optional_to_take() {
  local entry name src
  for entry in "${OPTIONAL[@]}"; do
    name="${entry%% *}"
    optional_cached "$name" && continue
    src="$(prebuilt_source "$name")" && [ -n "$src" ] && return 0
  done
  return 1
}

how_suffix() { local how; how="$(provenance_of "$1")"; [ -z "$how" ] || printf ' (%s)' "$how"; }

# prebuilt_fix <binary> <version>: what to do when a prebuilt binary is missing
prebuilt_fix() { printf 'put a %s %s binary in E2E_PREBUILT_DIR (or on PATH)' "$1" "$2"; }

# print_status: "binary<TAB>state<TAB>detail" per binary; state is cached, build (from the Go
# module proxy), prebuilt (a copy to take) or missing. Each missing binary also goes into
# MISSING as "binary: fix". Returns 1 when any binary is missing.
MISSING=()
print_status() {
  local b entry name version src detail
  MISSING=()
  for b in "${BUILT[@]}"; do
    if [ -x "$BIN/$b" ]; then printf '%s\tcached\t%s%s\n' "$b" "$BIN/$b" "$(how_suffix "$b")"
    elif command -v go >/dev/null; then printf '%s\tbuild\tfrom the Go module proxy\n' "$b"
    else
      detail="go is not installed, so it cannot be built"
      printf '%s\tmissing\t%s\n' "$b" "$detail"; MISSING+=("$b: $detail")
    fi
  done
  for entry in "${PREBUILT[@]}"; do
    read -r name version <<<"$entry"
    if [ -x "$BIN/$name" ]; then printf '%s\tcached\t%s%s\n' "$name" "$BIN/$name" "$(how_suffix "$name")"; continue; fi
    if src="$(prebuilt_source "$name")" && [ -n "$src" ]; then printf '%s\tprebuilt\t%s\n' "$name" "$src"; continue; fi
    detail="$(prebuilt_fix "$name" "$version")"
    printf '%s\tmissing\t%s\n' "$name" "$detail"; MISSING+=("$name: $detail")
  done
  for entry in "${OPTIONAL[@]}"; do
    read -r name version <<<"$entry"
    if optional_cached "$name"; then printf '%s\tcached\t%s%s\n' "$name" "$BIN/$name" "$(how_suffix "$name")"; continue; fi
    if src="$(prebuilt_source "$name")" && [ -n "$src" ]; then printf '%s\tprebuilt\t%s\n' "$name" "$src"; continue; fi
    printf '%s\tabsent\toptional: %s\n' "$name" "$(prebuilt_fix "$name" "$version")"
  done
  [ "${#MISSING[@]}" -eq 0 ]
}

# print_missing: the missing binaries as "binary: fix; binary: fix" on one line
print_missing() {
  local joined
  print_status >/dev/null && return 0
  joined="$(printf '%s; ' "${MISSING[@]}")"
  printf '%s\n' "${joined%; }"
  return 1
}

case "${1:-}" in
  --check) all_present && { echo "$BIN"; exit 0; } || exit 1 ;;
  --status) print_status; exit $? ;;
  --missing) print_missing; exit $? ;;
  --print) echo "$BIN"; exit 0 ;;
  --times) print_times; exit 0 ;;
  "") ;;
  *) die "unknown argument: $1 (use --check, --status, --missing, --print or --times)" ;;
esac

if [ -z "${E2E_ONLY:-}" ] && all_present && ! optional_to_take; then
  echo "$BIN"
  exit 0
fi

mkdir -p "$BIN" "$WORK"

export CGO_ENABLED=0
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
NICE=(nice -n 15)

want() { [ -z "${E2E_ONLY:-}" ] || [[ " $E2E_ONLY " == *" $1 "* ]]; }

# timed <label-name> <cmd...>: runs cmd, appends "date<TAB>name<TAB>cold|warm<TAB>seconds"
timed() {
  local name="$1"; shift
  local stamp="$WORK/.built-once/$name" kind=warm start end
  [ -e "$stamp" ] || kind=cold
  [ -n "${E2E_BUILD_LABEL:-}" ] && kind="$E2E_BUILD_LABEL"
  local rc=0
  start=$(date +%s)
  "$@" || rc=$?
  end=$(date +%s)
  if [ "$rc" -ne 0 ]; then log "$name: failed after $((end - start))s (exit $rc)"; return "$rc"; fi
  mkdir -p "$WORK/.built-once"; touch "$stamp"
  printf '%s\t%s\t%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$name" "$kind" "$((end - start))" >>"$TIMES"
  log "$name: $((end - start))s ($kind)"
}

gobuild() { "${NICE[@]}" go build -trimpath "$@"; }


# ------------------------------------------------------------------- etcd --
build_etcd() {
  local w="$WORK/etcd-$ETCD_VERSION"
  mkdir -p "$w"
  cat >"$w/go.mod" <<EOF
module clickvote.local/e2e/etcd

go 1.26

require go.etcd.io/etcd/server/v3 v$ETCD_VERSION
EOF
  cat >"$w/main.go" <<'EOF'
// Command etcd starts an etcd server (thin entry point over etcdmain).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
EOF
  (cd "$w" && "${NICE[@]}" go mod tidy && gobuild -ldflags "-s -w" -o "$BIN/etcd" .) \
    && record etcd "built from go.etcd.io/etcd/server/v3@v$ETCD_VERSION"
}

# ------------------------------------------------------------------- kwok --
build_kwok() {
  GOBIN="$BIN" "${NICE[@]}" go install -trimpath \
    -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=v$KWOK_VERSION" \
    "sigs.k8s.io/kwok/cmd/kwok@v$KWOK_VERSION" \
    && record kwok "built from sigs.k8s.io/kwok@v$KWOK_VERSION"
}

# ------------------------------------------------------------- kubernetes --
K8S_W="$WORK/k8s-$K8S_VERSION"
k8s_prepare() {
  local gomod minor staging
  mkdir -p "$K8S_W"
  gomod="$(cd "$K8S_W" && go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | jq -r .GoMod)"
  minor="$(echo "$K8S_VERSION" | cut -d. -f2)"
  staging="$(awk '/=> \.\/staging\/src\//{print $1}' "$gomod")"
  {
    printf 'module clickvote.local/e2e/k8s\n\ngo 1.26\n\nrequire k8s.io/kubernetes v%s\n\nreplace (\n' "$K8S_VERSION"
    for m in $staging; do printf '\t%s => %s v0.%s.%s\n' "$m" "$m" "$minor" "${K8S_VERSION##*.}"; done
    printf ')\n\ntool (\n'
    for c in kube-apiserver kube-controller-manager kube-scheduler kubectl; do printf '\tk8s.io/kubernetes/cmd/%s\n' "$c"; done
    printf ')\n'
  } >"$K8S_W/go.mod"
  # `tool` directives let `go mod tidy` resolve the commands' dependencies
  # without upgrading anything (a bare `go get pkg` would move to @latest)
  (cd "$K8S_W" && "${NICE[@]}" go mod tidy)
}
k8s_ldflags() {
  local major minor date p flags="-s -w"
  major="$(echo "$K8S_VERSION" | cut -d. -f1)"; minor="$(echo "$K8S_VERSION" | cut -d. -f2)"
  date="$(cd "$K8S_W" && go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | jq -r .Time)"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $p.gitVersion=v$K8S_VERSION -X $p.gitMajor=$major -X $p.gitMinor=$minor"
    flags+=" -X $p.gitTreeState=clean -X $p.buildDate=$date"
  done
  echo "$flags"
}
build_k8s_cmd() {
  (cd "$K8S_W" && gobuild -ldflags "$(k8s_ldflags)" -o "$BIN/$1" "k8s.io/kubernetes/cmd/$1") \
    && record "$1" "built from k8s.io/kubernetes@v$K8S_VERSION"
}

# ----------------------------------------------------------------- pulumi --
PULUMI_W="$WORK/pulumi-$PULUMI_VERSION"
pulumi_replaces() {
  # pkg/v3's own replace for clipboard (replaces in dependencies are ignored)
  awk '/^replace github.com\/atotto\/clipboard/{print}' \
    "$(cd "$1" && go mod download -json "github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION" | jq -r .GoMod)"
}
build_pulumi() {
  local w="$PULUMI_W/cli"
  mkdir -p "$w"
  {
    printf 'module clickvote.local/e2e/pulumi\n\ngo 1.26\n\nrequire (\n'
    printf '\tgithub.com/pulumi/pulumi/pkg/v3 v%s\n\tgithub.com/pulumi/pulumi/sdk/v3 v%s\n)\n\n' "$PULUMI_VERSION" "$PULUMI_VERSION"
    printf 'tool github.com/pulumi/pulumi/pkg/v3/cmd/pulumi\n\n'
  } >"$w/go.mod"
  pulumi_replaces "$w" >>"$w/go.mod"
  (cd "$w" && "${NICE[@]}" go mod tidy \
    && gobuild -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
      -o "$BIN/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi) \
    && record pulumi "built from github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION"
}

# use_prebuilt <binary>: copies a binary built elsewhere into the cache, from E2E_PREBUILT_DIR or
# PATH, and records where it came from and its sha256. Nothing here builds it. An optional binary
# that is nowhere to be found is logged as absent, and that is no failure.
use_prebuilt() {
  local name="$1" version src="" sum
  version="$(version_of "$name")"
  if ! src="$(prebuilt_source "$name")" || [ -z "$src" ]; then
    if is_optional "$name"; then
      log "$name: absent (optional: $(without "$name")); $(prebuilt_fix "$name" "$version")"
      return 0
    fi
    log "$name: missing; $(prebuilt_fix "$name" "$version")"
    return 1
  fi
  cp "$src" "$BIN/$name"
  sum="$(sha256sum "$BIN/$name" | cut -d' ' -f1)"
  record "$name" "prebuilt $version, copied from $src, sha256 $sum"
  log "$name: taken from $src, sha256 $sum ($("$BIN/$name" --version 2>/dev/null | head -1 || echo 'version unknown'))"
}

# ------------------------------------------------------------------- main --
log "cache: $OUT"
need() { want "$1" && { [ -n "${E2E_ONLY:-}" ] || [ ! -x "$BIN/$2" ]; }; }
failed=()
try() { "$@" || { failed+=("$2"); log "FAILED: $2"; }; }

go_needed=0
for group_binary in "etcd etcd" "kwok kwok" "k8s kube-apiserver" "k8s kube-controller-manager" "k8s kube-scheduler" "k8s kubectl" "pulumi pulumi"; do
  # shellcheck disable=SC2086 # two words: group and binary
  need $group_binary && go_needed=1
done
[ "$go_needed" = 0 ] || command -v go >/dev/null || die "go is required to build ${BUILT[*]}"

need etcd etcd && try timed etcd build_etcd
need kwok kwok && try timed kwok build_kwok
if want k8s; then
  k8s_ok=1
  if [ -n "${E2E_ONLY:-}" ] || ! [ -x "$BIN/kube-apiserver" ] || ! [ -x "$BIN/kube-controller-manager" ] \
      || ! [ -x "$BIN/kube-scheduler" ] || ! [ -x "$BIN/kubectl" ]; then
    timed k8s-deps k8s_prepare || { k8s_ok=0; failed+=(k8s-deps); }
  fi
  if [ "$k8s_ok" = 1 ]; then
    for c in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
      need k8s "$c" && try timed "$c" build_k8s_cmd "$c"
    done
  fi
fi
need pulumi pulumi && try timed pulumi build_pulumi
need langhost pulumi-language-nodejs && try use_prebuilt pulumi-language-nodejs
need k8sprovider pulumi-resource-kubernetes && try use_prebuilt pulumi-resource-kubernetes
need randomprovider pulumi-resource-random && try use_prebuilt pulumi-resource-random
for group_binary in "dockerbuildprovider pulumi-resource-docker-build" "dockerprovider pulumi-resource-docker"; do
  read -r group binary <<<"$group_binary"
  if want "$group" && { [ -n "${E2E_ONLY:-}" ] || ! optional_cached "$binary"; }; then
    try use_prebuilt "$binary"
  fi
done

cat >"$OUT/versions.txt" <<EOF
pulumi (CLI, pulumi-language-nodejs) v$PULUMI_VERSION
pulumi-resource-kubernetes v$PULUMI_K8S_PROVIDER_VERSION
pulumi-resource-random v$PULUMI_RANDOM_PROVIDER_VERSION
pulumi-resource-docker-build v$PULUMI_DOCKER_BUILD_PROVIDER_VERSION (optional)
pulumi-resource-docker v$PULUMI_DOCKER_PROVIDER_VERSION (optional)
kubernetes (kube-apiserver, kube-controller-manager, kube-scheduler, kubectl) v$K8S_VERSION
etcd v$ETCD_VERSION
kwok v$KWOK_VERSION
EOF

print_times
if [ "${#failed[@]}" -gt 0 ]; then
  log "failed: ${failed[*]}"
  exit 1
fi
if [ -z "${E2E_ONLY:-}" ]; then
  all_present || die "some binaries are missing from $BIN"
fi
echo "$BIN"
