#!/usr/bin/env bash
# Installs (or upgrades) the topo-operator chart into the cluster KUBECONFIG points to, running the operator
# image the cluster already holds (hack/kind-up.sh loads TOPO_OPERATOR_IMAGE into kind's nodes), and waits
# until the operator is ready; with --test, then runs `helm test` (the chart's /readyz hook pod).
# The release watches only its own namespace, so it never reconciles the Topologies e2e tests create, and
# leaves the CRD to whoever installed it (hack/kind-up.sh and the e2e setup apply crds/ themselves).
#   hack/helm-install.sh [--test] [--set KEY=VALUE]...
#   env: TOPO_HELM_RELEASE=topo, TOPO_HELM_NAMESPACE=topo-system, TOPO_OPERATOR_IMAGE=topo-operator:dev
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
# shellcheck source=hack/lib/versions.sh
source "$here/lib/versions.sh"
# shellcheck source=hack/lib/kind.sh
source "$here/lib/kind.sh"

release="${TOPO_HELM_RELEASE:-topo}"
namespace="${TOPO_HELM_NAMESPACE:-topo-system}"
image="$TOPO_OPERATOR_IMAGE"
log() { printf '[helm-install] %s\n' "$*" >&2; }

run_test=false
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --test) run_test=true ;;
    --set) [ $# -ge 2 ] || { log "--set needs KEY=VALUE"; exit 2; }; extra+=(--set "$2"); shift ;;
    *) log "unknown argument: $1 (usage: hack/helm-install.sh [--test] [--set KEY=VALUE]...)"; exit 2 ;;
  esac
  shift
done

tag="${image##*:}"
repository="${image%:*}"
if [ "$repository" = "$image" ] || [[ "$tag" == */* ]]; then
  log "TOPO_OPERATOR_IMAGE must name a tag (repository:tag), not $image"
  exit 2
fi

"$here/build-binaries.sh" helm
helm="$TOPO_CACHE/bin/helm-$HELM_VERSION/helm"

start=$SECONDS
log "installing $root/charts/topo-operator as $release in $namespace with $image"
"$helm" upgrade --install "$release" "$root/charts/topo-operator" \
  --namespace "$namespace" --create-namespace \
  --set image.repository="$repository" --set image.tag="$tag" --set image.pullPolicy=Never \
  --set crds.enabled=false --set "watchNamespaces={$namespace}" \
  "${extra[@]}" --wait --timeout 180s >&2
log "operator ready $((SECONDS - start))s after helm upgrade --install"

if [ "$run_test" = true ]; then
  # Without --logs: helm deletes a hook pod that succeeded (hook-succeeded) before it reads its logs, and then
  # fails with "unable to get pod logs ... not found" (helm/helm#9098; seen on the real node). A pod that
  # failed is kept, so its logs are printed here.
  if ! "$helm" test "$release" --namespace "$namespace" --timeout 120s >&2; then
    "$(kubectl_bin)" --namespace "$namespace" logs --tail 50 \
      -l "app.kubernetes.io/instance=$release,app.kubernetes.io/component=test" >&2 || true
    log "helm test failed"
    exit 1
  fi
  log "helm test passed"
fi
