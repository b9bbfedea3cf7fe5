#!/usr/bin/env bash
# Runs a command with Node 24 LTS first on PATH, installing it from the npm package `node@24` into the
# cache on first use. Node 20 is end-of-life and @kubernetes/client-node 2.x needs Node >= 22.19.
# Usage: hack/node.sh COMMAND [ARGS...]     (with no command, prints the directory of the node binary)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=hack/lib/versions.sh
source "$here/lib/versions.sh"

current_major() { "${1:-node}" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(current_major)" -ge "$NODE_MAJOR" ]; then
  bindir="$(dirname "$(command -v node)")"
else
  prefix="$TOPO_CACHE/node-$NODE_MAJOR"
  bindir="$prefix/node_modules/node/bin"
  if [ "$(current_major "$bindir/node")" -lt "$NODE_MAJOR" ]; then
    echo "[node] installing Node $NODE_MAJOR from the npm package node@$NODE_MAJOR into $prefix" >&2
    mkdir -p "$prefix"
    npm install --no-save --no-audit --no-fund --prefix "$prefix" "node@$NODE_MAJOR" >&2
  fi
fi
if [ $# -eq 0 ]; then echo "$bindir"; exit 0; fi
export PATH="$bindir:$PATH"
exec "$@"
