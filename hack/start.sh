#!/usr/bin/env bash
# `npm start`: the main job on one machine, from a fresh clone as from a warm one. Installs the npm
# dependencies and builds the dashboard's front end when they are missing or stale (hack/deps.sh,
# hack/web.sh), brings up the local control plane (or uses KUBECONFIG when it is set), installs the CRD,
# runs the operator in the foreground (logs on stdout; Ctrl-C stops it), applies the connector-network
# example and prints what to look at.
#   TOPO_START_NAMESPACE   where the example goes (default topo-demo)
#   TOPO_START_EXAMPLE     which example to apply (default examples/connector-lab.yaml)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
cd "$root"
ns="${TOPO_START_NAMESPACE:-topo-demo}"
example="${TOPO_START_EXAMPLE:-examples/connector-lab.yaml}"
http_port="${TOPO_HTTP_PORT:-8081}"
dash_port="${TOPO_DASHBOARD_PORT:-8080}"
say() { printf '\033[1m[start]\033[0m %s\n' "$*" >&2; }

hack/deps.sh
hack/web.sh
if [ -z "${KUBECONFIG:-}" ]; then
  say "starting the local control plane (the first run builds it from Go modules; later runs take seconds)"
  KUBECONFIG="$(hack/cluster.sh up)"
fi
export KUBECONFIG
kubectl() { "$here/kubectl.sh" "$@"; }

say "installing the Topology CRD"
kubectl apply --server-side --force-conflicts -f crds/ >&2
kubectl wait --for condition=Established --timeout=60s crd/topologies.topo.dev >/dev/null
kubectl create namespace "$ns" --dry-run=client -o yaml | kubectl apply -f - >/dev/null

# The example is applied once the operator answers /readyz, from the background, so the operator's
# logs stay in the foreground.
(
  for _ in $(seq 1 120); do
    curl -fsS "http://127.0.0.1:$http_port/readyz" >/dev/null 2>&1 && break
    sleep 0.5
  done
  kubectl apply -n "$ns" -f "$example" >&2
  cat >&2 <<MSG

  Topo is running.
    export KUBECONFIG=$KUBECONFIG
    hack/kubectl.sh get topo -A                      # phase, ready nodes, revision
    hack/kubectl.sh describe topo -n $ns              # conditions and events
    hack/kubectl.sh get deploy,svc,netpol,pvc -n $ns  # what the operator made
    dashboard:  http://localhost:$dash_port
    metrics:    http://localhost:$http_port/metrics
  Ctrl-C stops the operator; \`hack/cluster.sh down\` stops the control plane.

MSG
) &

say "running the operator (Ctrl-C to stop)"
export TOPO_HTTP_PORT="$http_port" TOPO_DASHBOARD_PORT="$dash_port"
exec "$here/node.sh" node operator/src/cli/bin.ts operator
