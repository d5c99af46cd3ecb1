#!/usr/bin/env bash
# Builds (once) the binaries the end-to-end tests need and prints the directory
# holding them as the last line of stdout:
#   pulumi, pulumi-language-nodejs, pulumi-resource-kubernetes,
#   pulumi-resource-random, etcd, kube-apiserver, kube-controller-manager,
#   kube-scheduler, kubectl, kwok
#
# Everything is built from source with the local Go toolchain. Build output
# lives outside the repository:
#   ${CLICKVOTE_E2E_CACHE:-~/.cache/clickvote-e2e}/<versions-key>/bin   binaries
#   ${CLICKVOTE_E2E_CACHE:-~/.cache/clickvote-e2e}/<versions-key>/build-times.log
#   ${CLICKVOTE_E2E_CACHE:-~/.cache/clickvote-e2e}/work                 wrapper modules
#
# Usage:
#   e2e/toolchain.sh            build what is missing, print bin dir
#   e2e/toolchain.sh --check    exit 0 if every binary is cached, 1 otherwise
#   e2e/toolchain.sh --print    print the bin dir path only (no build)
#   e2e/toolchain.sh --times    print the recorded build times
#   e2e/toolchain.sh --status   one line per binary: where it comes from, or why it
#                                       can't be had here; exit 0 when every binary is cached or
#                                       obtainable (E2E_PROXY_PROBE=0 skips asking the proxy)
#   E2E_ONLY="etcd kwok" e2e/toolchain.sh   build only some groups
#                 (groups: etcd kwok k8s pulumi langhost k8sprovider randomprovider)
#
# The Node.js language host (github.com/pulumi/pulumi/sdk/nodejs/cmd/...) and the kubernetes and
# random providers are built from their modules when the proxy serves them (asked for by release
# commit, see FROM_MODULE); the proxy reachable on the machines this was written on refuses all
# three, so there the script takes them from E2E_PREBUILT_DIR, or from PATH (Pulumi uses plugins
# found on PATH whatever version they report), and otherwise stops and says so. `--status` tells
# which way each binary would come. Builds run under `nice -n 15`.
set -euo pipefail

# ---------------------------------------------------------------- versions --
PULUMI_VERSION="${E2E_PULUMI_VERSION:-3.259.0}"            # pulumi CLI + nodejs language host
PULUMI_K8S_PROVIDER_VERSION="${E2E_PULUMI_K8S_PROVIDER_VERSION:-4.32.0}"
PULUMI_RANDOM_PROVIDER_VERSION="${E2E_PULUMI_RANDOM_PROVIDER_VERSION:-4.21.1}"
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

# The language host and the two providers live in modules with no tag of their own, so they are
# asked for by the release commit (tag vX of the upstream repository); the proxy resolves the
# commit to its pseudo-version. Fields: binary, module, release commit, main package dir inside
# the module, version variable set by -ldflags, version.
FROM_MODULE=(
  "pulumi-language-nodejs github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3 ${E2E_PULUMI_COMMIT:-0ac56e876614aedf12771d73ef7e80959b8a6fd4} . github.com/pulumi/pulumi/sdk/v3/go/common/version.Version v$PULUMI_VERSION"
  "pulumi-resource-kubernetes github.com/pulumi/pulumi-kubernetes/provider/v4 ${E2E_PULUMI_K8S_PROVIDER_COMMIT:-a03ff6ba58d2f1ea68319dda4b2c982119489c71} cmd/pulumi-resource-kubernetes github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version $PULUMI_K8S_PROVIDER_VERSION"
  "pulumi-resource-random github.com/pulumi/pulumi-random/provider/v4 ${E2E_PULUMI_RANDOM_PROVIDER_COMMIT:-f2d8b029d0f708bd14bad9479e016560de9c0b6d} cmd/pulumi-resource-random github.com/pulumi/pulumi-random/provider/v4/pkg/version.Version $PULUMI_RANDOM_PROVIDER_VERSION"
)

# prebuilt_source <binary>: prints where a prebuilt copy is (E2E_PREBUILT_DIR, then PATH)
prebuilt_source() {
  if [ -n "${E2E_PREBUILT_DIR:-}" ] && [ -x "$E2E_PREBUILT_DIR/$1" ]; then
    echo "$E2E_PREBUILT_DIR/$1"
  else
    command -v "$1" 2>/dev/null
  fi
}

# proxy_answer <module> <version>: "served", or how the proxy refused, in a few words
proxy_answer() {
  local out err
  [ "${E2E_PROXY_PROBE:-1}" = 0 ] && { echo "proxy not asked: E2E_PROXY_PROBE=0"; return; }
  command -v go >/dev/null || { echo "proxy not asked: no go"; return; }
  out="$(cd "${TMPDIR:-/tmp}" && GOFLAGS=-mod=mod timeout 60 go mod download -json "$1@$2" 2>/dev/null)"
  err="$(jq -r '.Error // empty' <<<"$out" 2>/dev/null)"
  if [ -n "$out" ] && [ -z "$err" ]; then echo "served"; return; fi
  [ -n "$err" ] || { echo "the proxy did not answer"; return; }
  # keep the HTTP status and the server's reason, drop the URL; else the error's first line
  if grep -qE ': [0-9]{3} ' <<<"$err"; then
    echo "the proxy answered $(grep -oE '[0-9]{3} [A-Za-z ]+' <<<"$err" | head -1)$(sed -nE 's/.*server response: *(.*)/: \1/p' <<<"$err" | head -1)"
  else
    head -1 <<<"$err" | cut -c1-200
  fi
}

how_suffix() { local how; how="$(provenance_of "$1")"; [ -z "$how" ] || printf ' (%s)' "$how"; }

# print_status: "binary<TAB>state<TAB>detail" per binary; state is cached, build (from the Go
# module proxy), prebuilt or missing. Returns 1 when any binary is missing.
print_status() {
  local b entry name module commit version src answer missing=0
  for b in etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok pulumi; do
    if [ -x "$BIN/$b" ]; then printf '%s\tcached\t%s%s\n' "$b" "$BIN/$b" "$(how_suffix "$b")"
    elif command -v go >/dev/null; then printf '%s\tbuild\tfrom the Go module proxy\n' "$b"
    else printf '%s\tmissing\tgo is not installed, so it cannot be built\n' "$b"; missing=1
    fi
  done
  for entry in "${FROM_MODULE[@]}"; do
    read -r name module commit _ _ version <<<"$entry"
    if [ -x "$BIN/$name" ]; then printf '%s\tcached\t%s%s\n' "$name" "$BIN/$name" "$(how_suffix "$name")"; continue; fi
    answer="$(proxy_answer "$module" "$commit")"
    if [ "$answer" = served ]; then printf '%s\tbuild\tfrom %s@%s\n' "$name" "$module" "$commit"; continue; fi
    if src="$(prebuilt_source "$name")" && [ -n "$src" ]; then printf '%s\tprebuilt\t%s\n' "$name" "$src"; continue; fi
    printf '%s\tmissing\tno %s on PATH or in E2E_PREBUILT_DIR, and %s@%s (release v%s) cannot be built here (%s)\n' \
      "$name" "$name" "$module" "$commit" "${version#v}" "$answer"
    missing=1
  done
  return "$missing"
}

case "${1:-}" in
  --check) all_present && { echo "$BIN"; exit 0; } || exit 1 ;;
  --status) print_status; exit $? ;;
  --print) echo "$BIN"; exit 0 ;;
  --times) print_times; exit 0 ;;
  "") ;;
  *) die "unknown argument: $1 (use --check, --print or --times)" ;;
esac

if [ -z "${E2E_ONLY:-}" ] && all_present; then
  echo "$BIN"
  exit 0
fi

command -v go >/dev/null || die "go is required"
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

# build_from_module <binary> <module> <commit> <main dir> <version var> <version>: builds a
# binary from its module's source, taken out of the module cache (read-only there) into a
# writable copy. The module's own go.mod applies, with one change: a relative replace that
# points outside the module (a sibling in the upstream repository, absent from the module zip)
# is pointed at that sibling's module at the same release. A main package with a go:generate
# line (the providers' embedded schema) is generated first, with VERSION set as upstream does.
build_from_module() {
  local name="$1" module="$2" commit="$3" main="$4" var="$5" version="$6"
  local src dir old new
  src="$(cd "$WORK" && GOFLAGS=-mod=mod go mod download -json "$module@$commit" | jq -r '.Dir // empty')"
  [ -n "$src" ] || { log "$name: $module@$commit is not served by the proxy"; return 1; }
  dir="$WORK/src/$name"
  rm -rf "$dir" && mkdir -p "$WORK/src" && cp -R "$src" "$dir" && chmod -R u+w "$dir"
  if [ "$name" = pulumi-resource-random ]; then write_random_shim "$dir" || return 1; fi
  while read -r old new; do
    if [ -z "$old" ] || [ -f "$dir/$new/go.mod" ]; then continue; fi
    (cd "$dir" && go mod edit -replace "$old=$old@v${version#v}")
    log "$name: replace $old => $new (not in the module) becomes $old@v${version#v}"
  done < <(cd "$dir" && go mod edit -json | jq -r '.Replace[]? | select(.New.Path | startswith(".")) | "\(.Old.Path) \(.New.Path)"')
  if grep -q '^//go:generate' "$dir/$main"/*.go 2>/dev/null; then
    (cd "$dir/$main" && VERSION="${version#v}" GOFLAGS="$GOFLAGS -mod=mod" "${NICE[@]}" go generate .) || return 1
  fi
  (cd "$dir" && GOFLAGS="$GOFLAGS -mod=mod" gobuild -ldflags "-s -w -X $var=$version" -o "$BIN/$name" "./$main") \
    && record "$name" "built from $module@$commit"
}

# The random provider's go.mod replaces its Terraform provider shim with ./shim, a module of its
# own and so not in the provider's module zip. The shim only hands the bridge the upstream
# Terraform provider (an internal package, importable from a module below that repository's
# path), so a local module with the same path and that one function stands in for it.
write_random_shim() {
  local dir="$1/shim" tfprovider framework
  [ -f "$dir/go.mod" ] && return 0
  tfprovider="$(cd "$1" && go mod edit -json | jq -r '.Require[] | select(.Path == "github.com/terraform-providers/terraform-provider-random") | .Version')"
  framework="$(cd "$1" && go mod edit -json | jq -r '.Require[] | select(.Path == "github.com/hashicorp/terraform-plugin-framework") | .Version')"
  if [ -z "$tfprovider" ] || [ -z "$framework" ]; then log "random shim: versions not found in go.mod"; return 1; fi
  mkdir -p "$dir"
  printf 'module github.com/terraform-providers/terraform-provider-random/shim\n\ngo 1.26\n\nrequire (\n\tgithub.com/hashicorp/terraform-plugin-framework %s\n\tgithub.com/terraform-providers/terraform-provider-random %s\n)\n' \
    "$framework" "$tfprovider" >"$dir/go.mod"
  cat >"$dir/shim.go" <<'GO'
// Package shim gives the Pulumi bridge the upstream Terraform random provider.
package shim

import (
	"github.com/hashicorp/terraform-plugin-framework/provider"
	upstream "github.com/terraform-providers/terraform-provider-random/internal/provider"
)

// NewProvider returns the upstream provider.
func NewProvider() provider.Provider { return upstream.New() }
GO
}

# use_prebuilt <binary> <module>: copies a binary built elsewhere into the cache, from
# E2E_PREBUILT_DIR or PATH, for when the proxy does not serve the module.
use_prebuilt() {
  local name="$1" module="$2" src=""
  if ! src="$(prebuilt_source "$name")" || [ -z "$src" ]; then
    log "$name: the Go module proxy does not serve $module, so it cannot be built here;"
    log "  put a $name binary on PATH or in E2E_PREBUILT_DIR (any version; Pulumi uses plugins found on PATH)"
    return 1
  fi
  cp "$src" "$BIN/$name"
  record "$name" "prebuilt, copied from $src, sha256 $(sha256sum "$BIN/$name" | cut -c1-16)…"
  log "$name: taken from $src ($("$BIN/$name" --version 2>/dev/null | head -1 || echo 'version unknown'))"
}

# module_or_prebuilt <binary>: from the proxy when it serves the module, else prebuilt
module_or_prebuilt() {
  local entry name module commit main var version
  for entry in "${FROM_MODULE[@]}"; do
    read -r name module commit main var version <<<"$entry"
    [ "$name" = "$1" ] && break
  done
  if [ "$(proxy_answer "$module" "$commit")" = served ]; then
    timed "$name" build_from_module "$name" "$module" "$commit" "$main" "$var" "$version"
  else
    use_prebuilt "$name" "$module@$commit"
  fi
}

# ------------------------------------------------------------------- main --
log "cache: $OUT"
need() { want "$1" && { [ -n "${E2E_ONLY:-}" ] || [ ! -x "$BIN/$2" ]; }; }
failed=()
try() { "$@" || { failed+=("$2"); log "FAILED: $2"; }; }

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
need langhost pulumi-language-nodejs && try module_or_prebuilt pulumi-language-nodejs
need k8sprovider pulumi-resource-kubernetes && try module_or_prebuilt pulumi-resource-kubernetes
need randomprovider pulumi-resource-random && try module_or_prebuilt pulumi-resource-random

cat >"$OUT/versions.txt" <<EOF
pulumi (CLI, pulumi-language-nodejs) v$PULUMI_VERSION
pulumi-resource-kubernetes v$PULUMI_K8S_PROVIDER_VERSION
pulumi-resource-random v$PULUMI_RANDOM_PROVIDER_VERSION
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
