# shellcheck shell=bash
# The one place where every tool version the harness builds or installs is pinned.
# Bumping a version here changes the cache key, so the next `up` rebuilds it.
export KUBE_VERSION="${KUBE_VERSION:-v1.34.4}"      # k8s.io/kubernetes; staging modules are v0.34.4
export ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"       # go.etcd.io/etcd/server/v3 (3.6 matches Kubernetes 1.34)
export COREDNS_VERSION="${COREDNS_VERSION:-v1.15.0}"   # github.com/coredns/coredns (the real node's cluster DNS)
# kube-router (NetworkPolicy on the real node): the only release the module proxy serves; flaws are reported for
# it. Its IPv6 policies never applied (the node is IPv4-only), and its dependencies with published CVEs are
# raised to the newest versions served (KUBE_ROUTER_DEPS); see docs/real-node.md.
export KUBE_ROUTER_VERSION="${KUBE_ROUTER_VERSION:-v2.1.0}"
export KUBE_ROUTER_DEPS="${KUBE_ROUTER_DEPS:-golang.org/x/net@v0.62.0 google.golang.org/protobuf@v1.36.12 google.golang.org/grpc@v1.85.0 github.com/docker/docker@v28.5.2+incompatible}"
export KWOK_VERSION="${KWOK_VERSION:-v0.7.0}"        # sigs.k8s.io/kwok
export HELM_VERSION="${HELM_VERSION:-v3.19.5}"       # helm.sh/helm/v3
# kube-score (static checks of the rendered chart): kube-linter's module host is not served here.
export KUBE_SCORE_VERSION="${KUBE_SCORE_VERSION:-v1.20.0}" # github.com/zegl/kube-score
export COMPOSE_VERSION="${COMPOSE_VERSION:-v2.32.4}" # github.com/docker/compose/v2 (go install works up to v2.32)
export NODE_MAJOR="${NODE_MAJOR:-24}"                # the npm package node@24 ships the runtime
# npm 11.16+ writes lockfiles without placeholders for unavailable optional packages and then `npm ci`
# rejects them (npm/cli#9846); 11.13 is the last release that round-trips its own lockfile.
NPM_VERSION="${NPM_VERSION:-11.13.0}"
export KIND_NODE_IMAGE="${KIND_NODE_IMAGE:-kindest/node:v1.34.0}"
# The previous release of the chart and operator (N-1), a commit of this repository: the upgrade test
# installs it, then upgrades to the working tree (N). Move it forward when a release is cut.
export TOPO_PREVIOUS_RELEASE="${TOPO_PREVIOUS_RELEASE:-c00c6c69fab34acdca23534df85ed8f721b10d03}"

# Binaries and Go caches live outside the repository, keyed by version.
export TOPO_CACHE="${TOPO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/topo}"
# Debian's PostgreSQL server for the history store's tests (hack/postgres.sh: apt-get download, never installed).
export POSTGRES_MAJOR="${POSTGRES_MAJOR:-15}"
export POSTGRES_VERSION="${POSTGRES_VERSION:-15.18-0+deb12u1}"
