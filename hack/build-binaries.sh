#!/usr/bin/env bash
# Builds the control-plane binaries (kube-apiserver, kube-controller-manager, kube-scheduler, kubectl),
# etcd, kwok, helm and the Compose v2 plugin from Go modules, into a cache outside the repository keyed by
# version. A warm cache makes this a no-op; a cold one takes a while on 2 cores, so progress is printed.
# Usage: hack/build-binaries.sh [all|kube|etcd|kwok|helm|compose|kube-score|actionlint|node|kubelet|coredns|kube-router]...
# `node` is the real node's kubelet, kube-proxy, CoreDNS and kube-router (hack/real-node.sh).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=hack/lib/versions.sh
source "$here/lib/versions.sh"

export GOFLAGS="${GOFLAGS:--mod=mod} -buildvcs=false"
export GOTOOLCHAIN=local
export CGO_ENABLED=0
workdir="$TOPO_CACHE/gomod"
mkdir -p "$workdir"

log() { printf '[build %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# run_build NAME OUTDIR CMD... — runs a build with a heartbeat so CI output shows progress.
run_build() {
  local name="$1" out="$2"; shift 2
  local start=$SECONDS
  log "building $name (cached at $out)"
  ( while sleep 30; do log "  $name: still building ($((SECONDS - start))s)"; done ) &
  local beat=$!
  if ! "$@"; then kill "$beat" 2>/dev/null; log "FAILED: $name"; return 1; fi
  kill "$beat" 2>/dev/null || true
  log "built $name in $((SECONDS - start))s"
}

# new_module DIR MODULE@VERSION... — a throwaway wrapper module that requires the given modules.
new_module() {
  local dir="$1"; shift
  mkdir -p "$dir"
  cd "$dir"
  [ -f go.mod ] || go mod init topo.local/wrapper >/dev/null 2>&1
}

# kube_module — the wrapper module for k8s.io/kubernetes at KUBE_VERSION (in the current directory), with each
# staging module mapped to its published v0.X.Y; prints the -ldflags that stamp the version.
kube_module() {
  local staging="v0.${KUBE_VERSION#v1.}"
  if ! grep -q "k8s.io/kubernetes $KUBE_VERSION" go.mod 2>/dev/null; then
    go mod edit -require="k8s.io/kubernetes@$KUBE_VERSION"
    # k8s.io/kubernetes points its staging modules at ./staging; map each to its published v0.X.Y.
    local gomod
    gomod="$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')"
    sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\1#p' "$gomod" | while read -r m; do
      go mod edit -replace="$m=$m@$staging"
    done
  fi
  local minor="${KUBE_VERSION#v1.}"; minor="${minor%%.*}"
  local pkg=k8s.io/component-base/version
  local ld="-s -w -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ld="$ld -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  ld="$ld -X k8s.io/client-go/pkg/version.gitVersion=$KUBE_VERSION -X k8s.io/client-go/pkg/version.gitMajor=1"
  echo "$ld -X k8s.io/client-go/pkg/version.gitMinor=$minor"
}

# kube_build NAME OUT BINARY... — builds k8s.io/kubernetes/cmd/BINARY for each into OUT (skipped when all exist).
kube_build() {
  local name="$1" out="$2"; shift 2
  local b missing=0
  for b in "$@"; do [ -x "$out/$b" ] || missing=1; done
  [ $missing -eq 0 ] && return 0
  local dir="$workdir/kube-$KUBE_VERSION" pkgs=()
  for b in "$@"; do pkgs+=("k8s.io/kubernetes/cmd/$b"); done
  ( new_module "$dir"
    local ld; ld="$(kube_module)"
    mkdir -p "$out.tmp"
    run_build "$name $KUBE_VERSION" "$out" go build -ldflags "$ld" -o "$out.tmp/" "${pkgs[@]}"
  )
  rm -rf "$out" && mv "$out.tmp" "$out"
}

build_kube() {
  kube_build kubernetes "$TOPO_CACHE/bin/kube-$KUBE_VERSION" kube-apiserver kube-controller-manager kube-scheduler kubectl
}
# The real node's kubelet and kube-proxy: same module and version stamp as the control plane, a directory of
# their own so the control plane's cache key is unchanged.
build_kube_node() { kube_build "kubelet and kube-proxy" "$TOPO_CACHE/bin/kube-node-$KUBE_VERSION" kubelet kube-proxy; }

# build_simple NAME VERSION MODULE PACKAGE BINARY [LDFLAGS]
build_simple() {
  local name="$1" version="$2" module="$3" pkg="$4" bin="$5" ld="${6:-}"
  local out="$TOPO_CACHE/bin/$name-$version"
  [ -x "$out/$bin" ] && return 0
  local dir="$workdir/$name-$version"
  ( new_module "$dir"
    go mod edit -require="$module@$version"
    mkdir -p "$out.tmp"
    run_build "$name $version" "$out" go build -ldflags "-s -w $ld" -o "$out.tmp/$bin" "$pkg"
  )
  rm -rf "$out" && mv "$out.tmp" "$out"
}

build_etcd() {
  local out="$TOPO_CACHE/bin/etcd-$ETCD_VERSION"
  [ -x "$out/etcd" ] && return 0
  if ! build_simple etcd "$ETCD_VERSION" go.etcd.io/etcd/server/v3 go.etcd.io/etcd/server/v3 etcd; then
    # Debian's etcd-server (3.4) is the fallback when the module cannot be built.
    log "etcd from Go modules failed; falling back to Debian's etcd-server"
    apt-get install -y etcd-server >/dev/null && mkdir -p "$out" && ln -sf /usr/bin/etcd "$out/etcd"
  fi
}
build_kwok() { build_simple kwok "$KWOK_VERSION" sigs.k8s.io/kwok sigs.k8s.io/kwok/cmd/kwok kwok \
  "-X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION"; }
build_helm() { build_simple helm "$HELM_VERSION" helm.sh/helm/v3 helm.sh/helm/v3/cmd/helm helm \
  "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"; }
build_compose() {
  build_simple compose "$COMPOSE_VERSION" github.com/docker/compose/v2 github.com/docker/compose/v2/cmd docker-compose \
    "-X github.com/docker/compose/v2/internal.Version=$COMPOSE_VERSION"
}
# CoreDNS with only the plugins the real node's Corefile uses (CoreDNS's documented way to pick plugins at
# compile time: a main that imports them and sets dnsserver.Directives, in CoreDNS's order).
build_coredns() {
  local out="$TOPO_CACHE/bin/coredns-$COREDNS_VERSION"
  [ -x "$out/coredns" ] && return 0
  local dir="$workdir/coredns-$COREDNS_VERSION" plugins=(bind ready health errors log loadbalance cache kubernetes)
  ( new_module "$dir"
    go mod edit -require="github.com/coredns/coredns@$COREDNS_VERSION"
    { echo 'package main'; echo; echo 'import ('
      echo '	"github.com/coredns/coredns/core/dnsserver"'; echo '	"github.com/coredns/coredns/coremain"'
      for p in "${plugins[@]}"; do echo "	_ \"github.com/coredns/coredns/plugin/$p\""; done
      echo ')'; echo
      printf 'func init() { dnsserver.Directives = []string{'; printf '"%s", ' "${plugins[@]}"; echo '} }'
      echo; echo 'func main() { coremain.Run() }'
    } >main.go
    gofmt -w main.go
    mkdir -p "$out.tmp"
    run_build "coredns $COREDNS_VERSION" "$out" go build -ldflags "-s -w -X github.com/coredns/coredns/coremain.GitCommit=$COREDNS_VERSION" \
      -o "$out.tmp/coredns" .
  )
  rm -rf "$out" && mv "$out.tmp" "$out"
}

# kube-router, firewall (NetworkPolicy) controller only. The module proxy serves v2.1.0 alone; its reported flaws
# are IPv6 policies that never applied (fixed in v2.1.1; the node is IPv4-only and runs it with
# --enable-ipv6=false) and dependencies with published CVEs, raised here past their fixed versions.
build_kube_router() {
  # Keyed by the version and the dependencies raised for it.
  local out key
  key="$(printf %s "$KUBE_ROUTER_DEPS" | cksum | cut -d" " -f1)"
  out="$TOPO_CACHE/bin/kube-router-$KUBE_ROUTER_VERSION-$key"
  [ -x "$out/kube-router" ] && return 0
  local dir="$workdir/kube-router-$KUBE_ROUTER_VERSION" m
  ( new_module "$dir"
    go mod edit -require="github.com/cloudnativelabs/kube-router/v2@$KUBE_ROUTER_VERSION"
    for m in $KUBE_ROUTER_DEPS; do go mod edit -require="$m"; done
    mkdir -p "$out.tmp"
    local pkg=github.com/cloudnativelabs/kube-router/v2
    run_build "kube-router $KUBE_ROUTER_VERSION" "$out" go build \
      -ldflags "-s -w -X $pkg/pkg/version.Version=$KUBE_ROUTER_VERSION -X $pkg/pkg/version.BuildDate=1970-01-01" \
      -o "$out.tmp/kube-router" "$pkg/cmd/kube-router"
  )
  rm -rf "$out" && mv "$out.tmp" "$out"
}
build_actionlint() { build_simple actionlint "${ACTIONLINT_VERSION:-v1.7.7}" github.com/rhysd/actionlint \
  github.com/rhysd/actionlint/cmd/actionlint actionlint; }
build_kube_score() { build_simple kube-score "$KUBE_SCORE_VERSION" github.com/zegl/kube-score \
  github.com/zegl/kube-score/cmd/kube-score kube-score "-X main.version=$KUBE_SCORE_VERSION"; }

targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(all)
for t in "${targets[@]}"; do
  case "$t" in
    all) build_etcd; build_kwok; build_kube; build_helm ;;
    node) build_kube_node; build_coredns; build_kube_router ;;
    kubelet) build_kube_node ;; coredns) build_coredns ;; kube-router) build_kube_router ;;
    kube) build_kube ;; etcd) build_etcd ;; kwok) build_kwok ;; helm) build_helm ;;
    compose) build_compose ;; actionlint) build_actionlint ;; kube-score) build_kube_score ;;
    *) echo "unknown target: $t" >&2; exit 2 ;;
  esac
done
