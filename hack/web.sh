#!/usr/bin/env bash
# Builds the dashboard's front end (operator/src/dashboard/web/dist) when it is missing or older than its
# sources; prints nothing and takes no time when it is current. The build goes to a directory of its own
# and is swapped in with renames, so a running dashboard never serves a half-written one.
#   hack/web.sh           build if stale
#   hack/web.sh --check   exit 1 if a build is needed, build nothing
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
web="$root/operator/src/dashboard/web"
dist="$web/dist"

stale() {
  [ -f "$dist/index.html" ] || return 0
  [ -n "$(find "$web/src" "$web/index.html" "$web/vite.config.ts" "$root/package-lock.json" \
    -newer "$dist/index.html" -print -quit)" ]
}

if [ "${1:-}" = "--check" ]; then
  if stale; then exit 1; fi
  exit 0
fi
stale || exit 0
echo "[web] building the dashboard front end into ${dist#"$root"/}" >&2
fresh="$dist.$$"
trap 'rm -rf "$fresh" "$dist.old.$$"' EXIT
"$root/hack/node.sh" node "$root/node_modules/vite/bin/vite.js" build --config "$web/vite.config.ts" \
  --outDir "$fresh" --emptyOutDir --logLevel warn >&2
if [ -d "$dist" ]; then mv "$dist" "$dist.old.$$"; fi
mv "$fresh" "$dist"
