#!/usr/bin/env bash
# kubectl of the pinned Kubernetes version, built from Go modules with the control plane.
#   hack/kubectl.sh ARGS...   runs it      hack/kubectl.sh --path   prints its path
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=hack/lib/versions.sh
source "$here/lib/versions.sh"
bin="$TOPO_CACHE/bin/kube-$KUBE_VERSION/kubectl"
[ -x "$bin" ] || "$here/build-binaries.sh" kube >&2
if [ "${1:-}" = "--path" ]; then echo "$bin"; exit 0; fi
exec "$bin" "$@"
