#!/usr/bin/env bash
# Prints a directory holding a Node >= 22 binary, installing Node 24 from the npm
# registry (package node-linux-<arch>, which ships the binary) into a cache when
# the machine's own Node is older. Usage: export PATH="$(tools/ensure-node.sh):$PATH"
set -euo pipefail
NODE_VERSION="${CLICKVOTE_NODE_VERSION:-24.9.0}"
if command -v node >/dev/null 2>&1; then
  major="$(node -p 'process.versions.node.split(".")[0]')"
  if [ "$major" -ge 22 ]; then dirname "$(command -v node)"; exit 0; fi
fi
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64|arm64) arch=arm64 ;;
  *) echo "ensure-node: unsupported architecture $(uname -m)" >&2; exit 1 ;;
esac
cache="${XDG_CACHE_HOME:-$HOME/.cache}/clickvote/node-$NODE_VERSION"
bin="$cache/node_modules/node-linux-$arch/bin"
if [ ! -x "$bin/node" ]; then
  npm install --prefix "$cache" --no-save --no-audit --no-fund "node-linux-$arch@$NODE_VERSION" >&2
fi
"$bin/node" --version >/dev/null
echo "$bin"
