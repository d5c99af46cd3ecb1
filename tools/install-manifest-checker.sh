#!/usr/bin/env bash
# Installs the external manifest checker, kube-score (https://github.com/zegl/kube-score), into a
# cache outside the repository and prints the binary's path. Idempotent: a cached binary of the
# pinned version is reused without touching the network.
#   tools/install-manifest-checker.sh            # prints e.g. /root/.cache/clickvote-tools/bin/kube-score
# Environment: CLICKVOTE_TOOLS_DIR (default ~/.cache/clickvote-tools), KUBE_SCORE_VERSION.
# Built from source with `go install` through the Go module proxy (release downloads from GitHub
# are not needed). Exits 3 with a reason when it can't install (no Go toolchain, no network).
set -euo pipefail

KUBE_SCORE_VERSION="${KUBE_SCORE_VERSION:-v1.20.0}"
TOOLS_DIR="${CLICKVOTE_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/clickvote-tools}"
BIN_DIR="$TOOLS_DIR/bin"
BIN="$BIN_DIR/kube-score"
STAMP="$BIN_DIR/.kube-score.version"

if [ -x "$BIN" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$KUBE_SCORE_VERSION" ]; then
  echo "$BIN"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  for candidate in /usr/local/go/bin/go /usr/lib/go/bin/go; do
    if [ -x "$candidate" ]; then PATH="$(dirname "$candidate"):$PATH"; break; fi
  done
fi
if ! command -v go >/dev/null 2>&1; then
  echo "install-manifest-checker: no Go toolchain (go) on PATH; kube-score $KUBE_SCORE_VERSION needs Go >= 1.23 to build" >&2
  exit 3
fi

mkdir -p "$BIN_DIR"
echo "install-manifest-checker: building kube-score $KUBE_SCORE_VERSION with $(go version) into $BIN_DIR" >&2
# A temporary name, renamed when complete: an interrupted build never leaves a half-written binary.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if ! (cd "$work" && GOBIN="$work" GOFLAGS=-mod=mod go install -trimpath -ldflags "-s -w" "github.com/zegl/kube-score/cmd/kube-score@$KUBE_SCORE_VERSION" >&2); then
  echo "install-manifest-checker: go install github.com/zegl/kube-score/cmd/kube-score@$KUBE_SCORE_VERSION failed" >&2
  exit 3
fi
mv -f "$work/kube-score" "$BIN"
echo "$KUBE_SCORE_VERSION" >"$STAMP"
echo "$BIN"
