#!/usr/bin/env bash
# Deletes the kind cluster hack/kind-up.sh created, and its kubeconfig.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=hack/lib/versions.sh
source "$here/lib/versions.sh"
# shellcheck source=hack/lib/kind.sh
source "$here/lib/kind.sh"

kind="$(kind_bin)"
if "$kind" get clusters 2>/dev/null | grep -qx "$TOPO_KIND_CLUSTER"; then
  "$kind" delete cluster --name "$TOPO_KIND_CLUSTER" --kubeconfig "$KIND_KUBECONFIG" >&2
fi
rm -f "$KIND_KUBECONFIG"
