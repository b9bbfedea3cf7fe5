#!/usr/bin/env bash
# Runs a command with Node 24 LTS first on PATH, installing it from the npm package `node@24` into the
# cache on first use. Node 20 is end-of-life and @kubernetes/client-node 2.x needs Node >= 22.19.
# Usage: hack/node.sh COMMAND [ARGS...]     (with no command, prints the directory of the node binary)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=hack/lib/versions.sh
source "$here/lib/versions.sh"

current_major() { "${1:-node}" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

# Node and a pinned npm live side by side in one cache prefix, keyed by both versions.
prefix="$TOPO_CACHE/node-$NODE_MAJOR-npm-$NPM_VERSION"
npmbin="$prefix/node_modules/.bin"
if [ "$(current_major)" -ge "$NODE_MAJOR" ]; then
  bindir="$(dirname "$(command -v node)")"
else
  bindir="$prefix/node_modules/node/bin"
fi
if [ "$(current_major "$bindir/node")" -lt "$NODE_MAJOR" ] || [ "$("$npmbin/npm" --version 2>/dev/null)" != "$NPM_VERSION" ]; then
  echo "[node] installing node@$NODE_MAJOR and npm@$NPM_VERSION into $prefix" >&2
  mkdir -p "$prefix"
  npm install --no-save --no-audit --no-fund --no-package-lock --prefix "$prefix" "node@$NODE_MAJOR" "npm@$NPM_VERSION" >&2
fi
if [ $# -eq 0 ]; then echo "$bindir"; exit 0; fi
export PATH="$bindir:$npmbin:$PATH"
exec "$@"
