# shellcheck shell=bash
# Shared by hack/kind-up.sh and hack/kind-down.sh: the cluster name, where its kubeconfig lives, and the
# kind binary (from PATH, or built from its Go module into the cache at the pinned version).
# kind v0.30 is the first release whose node images include Kubernetes 1.34 (KIND_NODE_IMAGE).
export KIND_VERSION="${KIND_VERSION:-v0.30.0}"
export TOPO_KIND_CLUSTER="${TOPO_KIND_CLUSTER:-topo}"
export TOPO_OPERATOR_IMAGE="${TOPO_OPERATOR_IMAGE:-topo/operator:dev}"
# The harness's own directory (TOPO_KIND_DIR), never TOPO_STATE_DIR, which is `topo up`'s state.
KIND_KUBECONFIG="${TOPO_KIND_DIR:-$HOME/.local/state/topo/kind}/$TOPO_KIND_CLUSTER.kubeconfig"
export KIND_KUBECONFIG

# kind_bin: prints the path of a kind binary, building sigs.k8s.io/kind@KIND_VERSION when none is on PATH.
kind_bin() {
  if command -v kind >/dev/null; then command -v kind; return; fi
  local out="$TOPO_CACHE/bin/kind-$KIND_VERSION"
  if [ ! -x "$out/kind" ]; then
    command -v go >/dev/null || { echo "kind is not installed and there is no Go toolchain to build it" >&2; return 1; }
    echo "[kind] building sigs.k8s.io/kind@$KIND_VERSION into $out" >&2
    GOBIN="$out" CGO_ENABLED=0 GOFLAGS=-buildvcs=false go install "sigs.k8s.io/kind@$KIND_VERSION" >&2
  fi
  echo "$out/kind"
}

# kubectl_bin: kubectl from PATH, else the pinned one hack/kubectl.sh builds.
kubectl_bin() {
  if command -v kubectl >/dev/null; then command -v kubectl; else "$(dirname "${BASH_SOURCE[0]}")/../kubectl.sh" --path; fi
}
