#!/usr/bin/env bash
# Builds the operator image (the repository's Dockerfile) on the local base image, since nothing can be
# pulled here: topo/operator:dev by default. Labels carry the package version and the git revision.
#   hack/operator-image.sh [TAG]          (prints the image name)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
tag="${1:-${TOPO_OPERATOR_IMAGE:-topo/operator:dev}}"
log() { printf '[operator-image] %s\n' "$*" >&2; }

base="$("$here/base-image.sh")"
version="$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$root/package.json" | head -1)"
revision="$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)"
# The default bridge network reaches the npm registry here; TOPO_DOCKER_NETWORK=host if yours does not.
network=()
[ -n "${TOPO_DOCKER_NETWORK:-}" ] && network=(--network "$TOPO_DOCKER_NETWORK")
start=$SECONDS
docker build -q "${network[@]}" \
  --build-arg "BUILD_IMAGE=$base" --build-arg "RUNTIME_IMAGE=$base" \
  --build-arg "VERSION=$version" --build-arg "REVISION=$revision" \
  -t "$tag" "$root" >/dev/null
log "built $tag in $((SECONDS - start))s ($(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1/1e6}'))"
echo "$tag"
