#!/usr/bin/env bash
# Builds the control-plane binaries (kube-apiserver, kube-controller-manager, kube-scheduler, kubectl),
# etcd, kwok, helm and the Compose v2 plugin from Go modules, into a cache outside the repository keyed by
# version. A warm cache makes this a no-op; a cold one takes a while on 2 cores, so progress is printed.
# Usage: hack/build-binaries.sh [all|kube|etcd|kwok|helm|compose|kube-linter|actionlint]...
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

build_kube() {
  local out="$TOPO_CACHE/bin/kube-$KUBE_VERSION"
  if [ -x "$out/kube-apiserver" ] && [ -x "$out/kube-controller-manager" ] && [ -x "$out/kube-scheduler" ] && [ -x "$out/kubectl" ]; then
    return 0
  fi
  local staging="v0.${KUBE_VERSION#v1.}"
  local dir="$workdir/kube-$KUBE_VERSION"
  ( new_module "$dir"
    go mod edit -require="k8s.io/kubernetes@$KUBE_VERSION"
    # k8s.io/kubernetes points its staging modules at ./staging; map each to its published v0.X.Y.
    local gomod
    gomod="$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')"
    sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\1#p' "$gomod" | while read -r m; do
      go mod edit -replace="$m=$m@$staging"
    done
    local minor="${KUBE_VERSION#v1.}"; minor="${minor%%.*}"
    local pkg=k8s.io/component-base/version
    local ld="-s -w -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ld="$ld -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
    ld="$ld -X k8s.io/client-go/pkg/version.gitVersion=$KUBE_VERSION -X k8s.io/client-go/pkg/version.gitMajor=1"
    ld="$ld -X k8s.io/client-go/pkg/version.gitMinor=$minor"
    mkdir -p "$out.tmp"
    run_build "kubernetes $KUBE_VERSION" "$out" go build -ldflags "$ld" -o "$out.tmp/" \
      k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
      k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl
  )
  rm -rf "$out" && mv "$out.tmp" "$out"
}

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
build_actionlint() { build_simple actionlint "${ACTIONLINT_VERSION:-v1.7.7}" github.com/rhysd/actionlint \
  github.com/rhysd/actionlint/cmd/actionlint actionlint; }
build_kube_linter() { build_simple kube-linter "${KUBE_LINTER_VERSION:-v0.7.6}" golang.stackrox.io/kube-linter \
  golang.stackrox.io/kube-linter/cmd/kube-linter kube-linter; }

targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(all)
for t in "${targets[@]}"; do
  case "$t" in
    all) build_etcd; build_kwok; build_kube; build_helm ;;
    kube) build_kube ;; etcd) build_etcd ;; kwok) build_kwok ;; helm) build_helm ;;
    compose) build_compose ;; actionlint) build_actionlint ;; kube-linter) build_kube_linter ;;
    *) echo "unknown target: $t" >&2; exit 2 ;;
  esac
done
