#!/usr/bin/env bash
# Installs the npm dependencies (`npm ci` under Node 24) when node_modules is missing or older than
# package-lock.json; prints nothing and takes no time when it is current. npm writes
# node_modules/.package-lock.json on every install, so its age is the age of the install.
#   hack/deps.sh           install if stale
#   hack/deps.sh --check   exit 1 if an install is needed, install nothing
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
installed="$root/node_modules/.package-lock.json"

stale() { [ ! -f "$installed" ] || [ "$root/package-lock.json" -nt "$installed" ]; }

if [ "${1:-}" = "--check" ]; then
  if stale; then exit 1; fi
  exit 0
fi
stale || exit 0
echo "[deps] node_modules is missing or older than package-lock.json: npm ci" >&2
cd "$root"
"$root/hack/node.sh" npm ci --no-audit --no-fund >&2
