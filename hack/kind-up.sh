#!/usr/bin/env bash
# A kind cluster for users who can pull from registries: the pinned node image (KIND_NODE_IMAGE), the
# operator image built and loaded into the nodes, the CRD installed. Prints the kubeconfig path on stdout.
#   hack/kind-up.sh    (env: TOPO_KIND_CLUSTER=topo, TOPO_OPERATOR_IMAGE=topo/operator:dev); hack/kind-down.sh removes it
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
# shellcheck source=hack/lib/versions.sh
source "$here/lib/versions.sh"
# shellcheck source=hack/lib/kind.sh
source "$here/lib/kind.sh"

log() { printf '[kind] %s\n' "$*" >&2; }
docker info >/dev/null 2>&1 || { log "no Docker engine answers (try hack/docker.sh up)"; exit 1; }
[ -f "$root/Dockerfile" ] || { log "no Dockerfile at $root to build $TOPO_OPERATOR_IMAGE from"; exit 1; }
kind="$(kind_bin)"
kubectl="$(kubectl_bin)"

mkdir -p "$(dirname "$KIND_KUBECONFIG")"
if "$kind" get clusters 2>/dev/null | grep -qx "$TOPO_KIND_CLUSTER"; then
  log "cluster $TOPO_KIND_CLUSTER exists"
  "$kind" export kubeconfig --name "$TOPO_KIND_CLUSTER" --kubeconfig "$KIND_KUBECONFIG" >&2
else
  "$kind" create cluster --name "$TOPO_KIND_CLUSTER" --image "$KIND_NODE_IMAGE" \
    --kubeconfig "$KIND_KUBECONFIG" --wait 180s >&2
fi
docker build -t "$TOPO_OPERATOR_IMAGE" "$root" >&2
"$kind" load docker-image --name "$TOPO_KIND_CLUSTER" "$TOPO_OPERATOR_IMAGE" >&2
"$kubectl" --kubeconfig "$KIND_KUBECONFIG" apply --server-side --force-conflicts -f "$root/crds" >&2
"$kubectl" --kubeconfig "$KIND_KUBECONFIG" wait --for condition=established --timeout=60s \
  crd/topologies.topo.dev >&2
log "cluster $TOPO_KIND_CLUSTER ready with $TOPO_OPERATOR_IMAGE loaded; export KUBECONFIG=$KIND_KUBECONFIG"
echo "$KIND_KUBECONFIG"
