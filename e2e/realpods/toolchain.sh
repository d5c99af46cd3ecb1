#!/usr/bin/env bash
# Builds (once, cached by a versions key) what a REAL node for the end-to-end tests needs,
# and prints the directory holding the binaries as the last line of stdout:
#   kubelet, kube-proxy            k8s.io/kubernetes (wrapper module with the staging replaces)
#   crictl                         sigs.k8s.io/cri-tools
#   coredns                        github.com/coredns/coredns
#   buildkitd, buildctl,           github.com/moby/buildkit (wrapper module repeating BuildKit's
#   dockerfile-frontend              exclude lines; `go install ...@version` refuses that module)
#   kube-network-policies          sigs.k8s.io/kube-network-policies (NetworkPolicy enforcer, nftables;
#                                    built and checked, but it cannot run on a kernel without
#                                    CONFIG_NFT_QUEUE, see README)
#   kube-router                    github.com/cloudnativelabs/kube-router/v2 (only its NetworkPolicy
#                                    controller is used: iptables + ipset, works without nft queue)
#   pause                          a 30-line Go program written here (the sandbox image's binary)
#   refdomain                      a 10-line Go program (BuildKit module): prints the registry domain that
#                                    unqualified image names (`FROM node:...`) normalize to, so mirrors are
#                                    configured for it without the scripts naming any registry host
#   vegeta                         github.com/tsenart/vegeta/v12: the HTTP load generator of the suite and
#                                    the bench (load-runner.mjs). Its version is not in the versions key, so
#                                    adding it or bumping it builds vegeta alone into the existing cache: a
#                                    cached vegeta whose provenance line names another version is rebuilt
#   buildx                         github.com/docker/buildx: creates the `remote` builder (the suite's
#                                    buildkitd) that the docker-build provider builds with in build
#                                    mode, and serves as the Docker CLI plugin the preflight asks.
#                                    Like vegeta, not in the versions key (a version change rebuilds it)
# and installs the Debian packages the node needs when missing (containerd, runc,
# containernetworking-plugins, docker-registry, debootstrap, nftables, iptables;
# qemu-user-static and binfmt-support unless E2E_RP_ARCHES=amd64 leaves arm64 out).
#
# Build output lives outside the repository:
#   ${CLICKVOTE_E2E_CACHE:-~/.cache/clickvote-e2e}/realpods/<versions-key>/bin
#   ${CLICKVOTE_E2E_CACHE:-~/.cache/clickvote-e2e}/realpods/<versions-key>/build-times.log
#   ${CLICKVOTE_E2E_CACHE:-~/.cache/clickvote-e2e}/realpods/<versions-key>/provenance.tsv
#   ${CLICKVOTE_E2E_CACHE:-~/.cache/clickvote-e2e}/realpods/work        wrapper modules, build logs
#
# Usage:
#   e2e/realpods/toolchain.sh             install packages, build what is missing, print bin dir
#   e2e/realpods/toolchain.sh --status    one line per piece: cached / build / missing + reason
#   e2e/realpods/toolchain.sh --print     print the bin dir only
#   e2e/realpods/toolchain.sh --times     print recorded build times
#   e2e/realpods/toolchain.sh --packages  only install the Debian packages
#   E2E_RP_ONLY="k8s buildkit" ...        build only some groups
#                 (groups: k8s crictl coredns buildkit netpol kuberouter pause vegeta buildx)
#   E2E_RP_PACKAGES=0 ...       skip the Debian packages (E2E_RP_PACKAGES=0 E2E_RP_ONLY=vegeta: vegeta alone)
# Go builds run under `nice -n 19`, GOFLAGS=-buildvcs=false, GOTOOLCHAIN=local, CGO_ENABLED=0.
# Two build streams run in parallel (k8s | the rest) so module downloads overlap compiles.
set -euo pipefail

K8S_VERSION="${E2E_K8S_VERSION:-1.34.4}"
CRICTL_VERSION="${E2E_CRICTL_VERSION:-1.34.0}"
COREDNS_VERSION="${E2E_COREDNS_VERSION:-1.15.0}"
BUILDKIT_VERSION="${E2E_BUILDKIT_VERSION:-0.34.2}"
KNP_VERSION="${E2E_KNP_VERSION:-0.8.0}"
KUBE_ROUTER_VERSION="${E2E_KUBE_ROUTER_VERSION:-2.1.0}"   # newest the Go module proxy serves here
VEGETA_VERSION="${E2E_VEGETA_VERSION:-12.13.0}"           # not in KEY: see stale() below
# the buildx the docker-build provider v0.0.22 is built against (its go.mod); not in KEY either
BUILDX_VERSION="${E2E_BUILDX_VERSION:-0.35.0}"
RECIPE=1   # bump when the way binaries are built changes

KEY="r${RECIPE}-k8s${K8S_VERSION}-crictl${CRICTL_VERSION}-coredns${COREDNS_VERSION}-buildkit${BUILDKIT_VERSION}-knp${KNP_VERSION}-kr${KUBE_ROUTER_VERSION}"
CACHE_ROOT="${CLICKVOTE_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/clickvote-e2e}"
RP="$CACHE_ROOT/realpods"
OUT="$RP/$KEY"
BIN="$OUT/bin"
WORK="$RP/work"
TIMES="$OUT/build-times.log"
PROVENANCE="$OUT/provenance.tsv"

# docker.io: only its dockerd, for tag mode (lib.sh dockerd_up)
PACKAGES=(containerd runc containernetworking-plugins docker-registry debootstrap nftables iptables ipset docker.io)
[[ " ${E2E_RP_ARCHES:-amd64 arm64} " == *" arm64 "* ]] && PACKAGES+=(qemu-user-static binfmt-support)

PIECES=(kubelet kube-proxy crictl coredns buildkitd buildctl dockerfile-frontend refdomain kube-network-policies kube-router pause vegeta buildx)

log() { printf 'realpods-toolchain: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
record() { printf '%s\t%s\n' "$1" "$2" >>"$PROVENANCE"; }
provenance_of() { [ -f "$PROVENANCE" ] || return 0; awk -F'\t' -v b="$1" '$1 == b {how = $2} END {if (how != "") print how}' "$PROVENANCE"; }
pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

source_of() {
  case "$1" in
    kubelet|kube-proxy) echo "k8s.io/kubernetes@v$K8S_VERSION (cmd/$1)" ;;
    crictl) echo "sigs.k8s.io/cri-tools@v$CRICTL_VERSION (cmd/crictl)" ;;
    coredns) echo "github.com/coredns/coredns@v$COREDNS_VERSION" ;;
    buildkitd|buildctl) echo "github.com/moby/buildkit@v$BUILDKIT_VERSION (cmd/$1)" ;;
    dockerfile-frontend) echo "github.com/moby/buildkit@v$BUILDKIT_VERSION (frontend/dockerfile/cmd/dockerfile-frontend)" ;;
    kube-network-policies) echo "sigs.k8s.io/kube-network-policies@v$KNP_VERSION (cmd)" ;;
    kube-router) echo "github.com/cloudnativelabs/kube-router/v2@v$KUBE_ROUTER_VERSION (cmd/kube-router)" ;;
    refdomain) echo "a Go program written by this script, in the BuildKit wrapper module (github.com/distribution/reference)" ;;
    pause) echo "a Go program written by this script (no module needed)" ;;
    vegeta) echo "github.com/tsenart/vegeta/v12@v$VEGETA_VERSION" ;;
    buildx) echo "github.com/docker/buildx@v$BUILDX_VERSION (cmd/buildx)" ;;
  esac
}
# stale <piece>: a cached binary built from another version than this script asks for. Only for the
# pieces whose version is not in KEY (vegeta, buildx): the others are in a directory of their versions.
stale() {
  case "$1" in
    vegeta|buildx) [ "$(provenance_of "$1")" != "built from $(source_of "$1")" ] ;;
    *) return 1 ;;
  esac
}

print_status() {
  local p missing=0 how
  for p in "${PIECES[@]}"; do
    if [ -x "$BIN/$p" ] && ! stale "$p"; then
      how="$(provenance_of "$p")"
      printf '%s\tcached\t%s%s\n' "$p" "$BIN/$p" "${how:+ ($how)}"
    elif command -v go >/dev/null; then
      how=""; [ -x "$BIN/$p" ] && how="$(provenance_of "$p")"
      printf '%s\tbuild\tfrom %s%s\n' "$p" "$(source_of "$p")" "${how:+ (the cached one was $how)}"
    else
      printf '%s\tmissing\tgo is not installed, so %s cannot be built\n' "$p" "$(source_of "$p")"; missing=1
    fi
  done
  for p in "${PACKAGES[@]}"; do
    if pkg_installed "$p"; then printf 'deb:%s\tcached\tinstalled %s\n' "$p" "$(dpkg-query -W -f='${Version}' "$p")"
    elif apt-cache policy "$p" 2>/dev/null | grep -q 'Candidate: [0-9]'; then printf 'deb:%s\tbuild\tapt-get install %s\n' "$p" "$p"
    else printf 'deb:%s\tmissing\tno apt candidate for %s\n' "$p" "$p"; missing=1
    fi
  done
  return "$missing"
}

print_times() {
  [ -f "$TIMES" ] || { log "no build times recorded yet ($TIMES)"; return 0; }
  log "build times (seconds, wall clock; cold = first build on this machine):"
  awk -F'\t' '{printf "  %-24s %-5s %6ss  load %s  (%s)\n", $2, $3, $4, $5, $1}' "$TIMES" >&2
}

install_packages() {
  local want=() p
  for p in "${PACKAGES[@]}"; do pkg_installed "$p" || want+=("$p"); done
  [ "${#want[@]}" -eq 0 ] && return 0
  log "apt-get install ${want[*]}"
  # Debian's postinst would start containerd / docker-registry services where an init system
  # runs; the node scripts run their own instances with their own config, so keep them off.
  local t0; t0=$(date +%s)
  if [ -e /usr/sbin/policy-rc.d ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${want[@]}" >&2
  else
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${want[@]}" >&2 || { rm -f /usr/sbin/policy-rc.d; return 1; }
    rm -f /usr/sbin/policy-rc.d
  fi
  mkdir -p "$OUT"
  printf '%s\t%s\t%s\t%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "apt(${want[*]})" cold "$(($(date +%s) - t0))" "$(cut -d' ' -f1-3 /proc/loadavg)" >>"$TIMES"
}

case "${1:-}" in
  --status) print_status; exit $? ;;
  --print) echo "$BIN"; exit 0 ;;
  --times) print_times; exit 0 ;;
  --packages) install_packages; exit $? ;;
  "") ;;
  *) die "unknown argument: $1 (use --status, --print, --times or --packages)" ;;
esac

# E2E_RP_PACKAGES=0: no Debian packages (.ci/run builds vegeta alone this way, for the load
# runner's tests, on machines that will not run real pods)
[ "${E2E_RP_PACKAGES:-1}" = 0 ] || install_packages
command -v go >/dev/null || die "go is required"
mkdir -p "$BIN" "$WORK/logs"

export CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOTOOLCHAIN=local
NICE=(nice -n 19)
want() { [ -z "${E2E_RP_ONLY:-}" ] || [[ " $E2E_RP_ONLY " == *" $1 "* ]]; }
missing() { local p; for p in "$@"; do [ -x "$BIN/$p" ] && ! stale "$p" || return 0; done; return 1; }

# timed <name> <cmd...>: appends "date<TAB>name<TAB>cold|warm<TAB>seconds<TAB>loadavg"
timed() {
  local name="$1"; shift
  local stamp="$WORK/.built-once/$name" kind=warm start end rc=0
  [ -e "$stamp" ] || kind=cold
  start=$(date +%s)
  "$@" || rc=$?
  end=$(date +%s)
  if [ "$rc" -ne 0 ]; then log "$name: FAILED after $((end - start))s (exit $rc), see $WORK/logs/$name.log"; return "$rc"; fi
  mkdir -p "$WORK/.built-once"; touch "$stamp"
  printf '%s\t%s\t%s\t%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$name" "$kind" "$((end - start))" "$(cut -d' ' -f1-3 /proc/loadavg)" >>"$TIMES"
  log "$name: $((end - start))s ($kind)"
}
gobuild() { "${NICE[@]}" go build -trimpath "$@"; }

# ------------------------------------------------------------- kubernetes --
# Own copy of the wrapper module e2e/toolchain.sh uses (same go.mod recipe, plus
# kubelet and kube-proxy as tools), so that script's module is never touched. The shared
# Go build cache makes the packages both need compile once.
K8S_W="$WORK/k8s-$K8S_VERSION"
k8s_prepare() {
  local gomod minor staging
  mkdir -p "$K8S_W"
  gomod="$(cd "$K8S_W" && GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | jq -r .GoMod)"
  minor="$(echo "$K8S_VERSION" | cut -d. -f2)"
  staging="$(awk '/=> \.\/staging\/src\//{print $1}' "$gomod")"
  {
    printf 'module clickvote.local/e2e/realpods/k8s\n\ngo 1.26\n\nrequire k8s.io/kubernetes v%s\n\nreplace (\n' "$K8S_VERSION"
    for m in $staging; do printf '\t%s => %s v0.%s.%s\n' "$m" "$m" "$minor" "${K8S_VERSION##*.}"; done
    printf ')\n\ntool (\n'
    for c in kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet kube-proxy; do printf '\tk8s.io/kubernetes/cmd/%s\n' "$c"; done
    printf ')\n'
  } >"$K8S_W/go.mod"
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

# ---------------------------------------------------------------- crictl --
build_crictl() {
  GOBIN="$BIN" "${NICE[@]}" go install -trimpath \
    -ldflags "-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=v$CRICTL_VERSION" \
    "sigs.k8s.io/cri-tools/cmd/crictl@v$CRICTL_VERSION" \
    && record crictl "built from sigs.k8s.io/cri-tools@v$CRICTL_VERSION"
}

# --------------------------------------------------------------- coredns --
build_coredns() {
  GOBIN="$BIN" "${NICE[@]}" go install -trimpath -ldflags "-s -w" \
    "github.com/coredns/coredns@v$COREDNS_VERSION" \
    && record coredns "built from github.com/coredns/coredns@v$COREDNS_VERSION"
}

# -------------------------------------------------------------- buildkit --
# `go install github.com/moby/buildkit/cmd/buildkitd@vX` fails: "The go.mod file for the module
# providing named packages contains one or more exclude directives." A wrapper module that
# repeats the exclude block builds it.
BK_W="$WORK/buildkit-$BUILDKIT_VERSION"
buildkit_prepare() {
  local gomod
  mkdir -p "$BK_W"
  gomod="$(cd "$BK_W" && GOFLAGS=-mod=mod go mod download -json "github.com/moby/buildkit@v$BUILDKIT_VERSION" | jq -r .GoMod)"
  {
    printf 'module clickvote.local/e2e/realpods/buildkit\n\ngo 1.26\n\nrequire github.com/moby/buildkit v%s\n\n' "$BUILDKIT_VERSION"
    awk '/^exclude \(/{on=1} on{print} on && /^\)/{on=0} /^exclude [^(]/{print}' "$gomod"
    grep -E '^replace [^(]' "$gomod" || true
    printf '\ntool (\n\tgithub.com/moby/buildkit/cmd/buildkitd\n\tgithub.com/moby/buildkit/cmd/buildctl\n\tgithub.com/moby/buildkit/frontend/dockerfile/cmd/dockerfile-frontend\n)\n'
  } >"$BK_W/go.mod"
  (cd "$BK_W" && "${NICE[@]}" go mod tidy)
}
build_buildkit_cmd() { # name package
  local v="github.com/moby/buildkit/version"
  (cd "$BK_W" && gobuild -tags "${3:-}" -ldflags "-s -w -X $v.Version=v$BUILDKIT_VERSION -X $v.Package=github.com/moby/buildkit" \
    -o "$BIN/$1" "$2") && record "$1" "built from github.com/moby/buildkit@v$BUILDKIT_VERSION (wrapper module with its excludes)"
}

build_refdomain() {
  mkdir -p "$BK_W/refdomain"
  cat >"$BK_W/refdomain/main.go" <<'EOF'
// Command refdomain prints the registry domain that unqualified image references (the Dockerfile's
// `FROM node:...`) normalize to, so mirrors can be configured for it without naming it.
package main

import (
	"fmt"
	"os"

	"github.com/distribution/reference"
)

func main() {
	n, err := reference.ParseNormalizedNamed("library/x")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(reference.Domain(n))
}
EOF
  (cd "$BK_W" && gobuild -ldflags "-s -w" -o "$BIN/refdomain" ./refdomain) \
    && record refdomain "built from $BK_W/refdomain/main.go (written by this script)"
}

# -------------------------------------------------- kube-network-policies --
build_netpol() {
  GOBIN="$WORK/netpol-bin" "${NICE[@]}" go install -trimpath -ldflags "-s -w" \
    "sigs.k8s.io/kube-network-policies/cmd@v$KNP_VERSION" \
    && mv "$WORK/netpol-bin/cmd" "$BIN/kube-network-policies" \
    && record kube-network-policies "built from sigs.k8s.io/kube-network-policies@v$KNP_VERSION"
}

# ----------------------------------------------------------- kube-router --
build_kube_router() {
  GOBIN="$BIN" "${NICE[@]}" go install -trimpath \
    -ldflags "-s -w -X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=v$KUBE_ROUTER_VERSION" \
    "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router@v$KUBE_ROUTER_VERSION" \
    && record kube-router "built from github.com/cloudnativelabs/kube-router/v2@v$KUBE_ROUTER_VERSION"
}

# ------------------------------------------------------- vegeta, buildx --
# `go install` builds each as it is (their go.mod files have no replace or exclude directive).
# go_install_checked <piece> <package@version> <ldflags> <check>: installed into a directory of its
# own, then `<check> <binary>` must confirm the version before it is moved into place, so a failed
# build leaves the cached one untouched.
go_install_checked() {
  local piece="$1" pkg="$2" ldflags="$3" check="$4"
  rm -rf "$WORK/$piece-bin"
  GOBIN="$WORK/$piece-bin" "${NICE[@]}" go install -trimpath -ldflags "-s -w $ldflags" "$pkg" \
    && "$check" "$WORK/$piece-bin/$piece" \
    && mv -f "$WORK/$piece-bin/$piece" "$BIN/$piece" \
    && record "$piece" "built from $(source_of "$piece")"
}
vegeta_is_wanted() { grep -qx "Version: v$VEGETA_VERSION" <<<"$("$1" -version)"; } # read whole: no SIGPIPE under pipefail
build_vegeta() {
  go_install_checked vegeta "github.com/tsenart/vegeta/v12@v$VEGETA_VERSION" "-X main.Version=v$VEGETA_VERSION" vegeta_is_wanted
}
buildx_is_wanted() { grep -q " v$BUILDX_VERSION" <<<"$("$1" version)"; }
build_buildx() {
  go_install_checked buildx "github.com/docker/buildx/cmd/buildx@v$BUILDX_VERSION" \
    "-X github.com/docker/buildx/version.Version=v$BUILDX_VERSION -X github.com/docker/buildx/version.Package=github.com/docker/buildx" \
    buildx_is_wanted
}

# ----------------------------------------------------------------- pause --
build_pause() {
  local w="$WORK/pause"
  mkdir -p "$w"
  printf 'module clickvote.local/e2e/realpods/pause\n\ngo 1.26\n' >"$w/go.mod"
  cat >"$w/main.go" <<'EOF'
// Command pause holds a pod sandbox's namespaces: it waits for SIGTERM/SIGINT and reaps
// children (it is PID 1 of the sandbox).
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	for s := range sigs {
		if s == syscall.SIGCHLD {
			for {
				pid, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
				if pid <= 0 || err != nil {
					break
				}
			}
			continue
		}
		os.Exit(0)
	}
}
EOF
  (cd "$w" && gobuild -ldflags "-s -w" -o "$BIN/pause" .) && record pause "built from $w/main.go (written by this script)"
  if [[ " ${E2E_RP_ARCHES:-amd64 arm64} " == *" arm64 "* ]]; then
    (cd "$w" && GOARCH=arm64 gobuild -ldflags "-s -w" -o "$BIN/pause-arm64" .)
  fi
}

# ------------------------------------------------------------------ main --
log "cache: $OUT"
failed="$WORK/.failed.$$"; : >"$failed"
try() { # name cmd... (output to the piece's log)
  local name="$1"; shift
  timed "$name" "$@" >>"$WORK/logs/$name.log" 2>&1 || echo "$name" >>"$failed"
}

stream_k8s() {
  want k8s || return 0
  missing kubelet kube-proxy || return 0
  try k8s-deps k8s_prepare || true
  grep -qx k8s-deps "$failed" && return 0
  # kube-proxy first: it is small, and shows early whether the module works
  [ -x "$BIN/kube-proxy" ] || try kube-proxy build_k8s_cmd kube-proxy
  [ -x "$BIN/kubelet" ] || try kubelet build_k8s_cmd kubelet
}
stream_rest() {
  if want pause && missing pause; then try pause build_pause; fi
  if want vegeta && missing vegeta; then try vegeta build_vegeta; fi
  if want buildx && missing buildx; then try buildx build_buildx; fi
  if want buildkit && missing buildkitd buildctl dockerfile-frontend refdomain; then
    try buildkit-deps buildkit_prepare
    if ! grep -qx buildkit-deps "$failed"; then
      [ -x "$BIN/buildctl" ] || try buildctl build_buildkit_cmd buildctl github.com/moby/buildkit/cmd/buildctl
      [ -x "$BIN/buildkitd" ] || try buildkitd build_buildkit_cmd buildkitd github.com/moby/buildkit/cmd/buildkitd
      [ -x "$BIN/dockerfile-frontend" ] || try dockerfile-frontend build_buildkit_cmd dockerfile-frontend \
        github.com/moby/buildkit/frontend/dockerfile/cmd/dockerfile-frontend
      [ -x "$BIN/refdomain" ] || try refdomain build_refdomain
    fi
  fi
  if want crictl && missing crictl; then try crictl build_crictl; fi
  if want coredns && missing coredns; then try coredns build_coredns; fi
  if want kuberouter && missing kube-router; then try kube-router build_kube_router; fi
  if want netpol && missing kube-network-policies; then try kube-network-policies build_netpol; fi
}

stream_k8s & k8s_pid=$!
stream_rest
wait "$k8s_pid" || true

cat >"$OUT/versions.txt" <<EOF
kubernetes (kubelet, kube-proxy) v$K8S_VERSION
cri-tools (crictl) v$CRICTL_VERSION
coredns v$COREDNS_VERSION
buildkit (buildkitd, buildctl, dockerfile-frontend) v$BUILDKIT_VERSION
kube-network-policies v$KNP_VERSION
kube-router v$KUBE_ROUTER_VERSION
vegeta v$VEGETA_VERSION
buildx v$BUILDX_VERSION
EOF
print_times
if [ -s "$failed" ]; then
  log "failed: $(tr '\n' ' ' <"$failed")(logs in $WORK/logs)"
  rm -f "$failed"
  exit 1
fi
rm -f "$failed"
echo "$BIN"
