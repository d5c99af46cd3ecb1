# shellcheck shell=bash
# Sourced by the project's scripts that run Node.js: ROOT is the repository, the working
# directory is ROOT, and a Node >= 22 (tools/ensure-node.sh) comes first on PATH.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1
node_bin="$("$ROOT/tools/ensure-node.sh")" || exit 1
export PATH="$node_bin:$PATH"
