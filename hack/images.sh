#!/usr/bin/env bash
# Builds the local images the tests and examples need. Nothing can be pulled here, so every image starts
# FROM scratch: topo/busybox:local from Debian's busybox-static, topo/testsvc:local (a static Go HTTP
# service on top of it). Images are rebuilt only when their inputs change (docker's build cache).
#   hack/images.sh [busybox|testsvc|pause|operator]...   (default: busybox testsvc)
# topo/pause:local is the real node's sandbox image (hack/real-node.sh builds it when it is missing).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { printf '[images] %s\n' "$*" >&2; }
ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT

busybox() {
  [ -x /bin/busybox ] || { log "busybox-static is missing: run hack/docker.sh up"; exit 1; }
  mkdir -p "$ctx/busybox" && cp "$here/images/busybox/Dockerfile" /bin/busybox "$ctx/busybox/"
  docker build -q -t topo/busybox:local "$ctx/busybox" >/dev/null
  log "built topo/busybox:local"
}

testsvc() {
  mkdir -p "$ctx/testsvc" && cp "$here/images/testsvc/Dockerfile" "$ctx/testsvc/"
  (cd "$here/images/testsvc" && CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-buildvcs=false \
    go build -trimpath -ldflags '-s -w' -o "$ctx/testsvc/testsvc" .)
  docker build -q -t topo/testsvc:local "$ctx/testsvc" >/dev/null
  log "built topo/testsvc:local"
}

pause() {
  mkdir -p "$ctx/pause" && cp "$here/images/pause/Dockerfile" "$ctx/pause/"
  (cd "$here/images/pause" && CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-buildvcs=false \
    go build -trimpath -ldflags '-s -w' -o "$ctx/pause/pause" .)
  docker build -q -t topo/pause:local "$ctx/pause" >/dev/null
  log "built topo/pause:local"
}

operator() {
  "$here/operator-image.sh"
}

targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(busybox testsvc)
for t in "${targets[@]}"; do
  case "$t" in
    busybox | testsvc | pause | operator) "$t" ;;
    *) echo "unknown image: $t" >&2; exit 2 ;;
  esac
done
