#!/usr/bin/env bash
# A real Kubernetes control plane on this machine, built from Go modules: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler and kwok with fake nodes, all on 127.0.0.1.
#   hack/cluster.sh up [--nodes N]   start (or find) the cluster; prints the admin kubeconfig path on stdout
#   hack/cluster.sh status           report each component
#   hack/cluster.sh down             stop exactly what `up` started and remove its state
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=hack/lib/versions.sh
source "$here/lib/versions.sh"

STATE="${TOPO_CLUSTER_DIR:-${TOPO_STATE_DIR:-$HOME/.local/state/topo}/cluster}"
ETCD_PORT="${TOPO_ETCD_PORT:-12379}"
API_PORT="${TOPO_APISERVER_PORT:-16443}"
KCM_PORT="${TOPO_KCM_PORT:-20257}"
SCHED_PORT="${TOPO_SCHEDULER_PORT:-20259}"
NODES="${TOPO_FAKE_NODES:-3}"
# Pods per fake node: nothing runs on them, so room for a benchmark of 200 topologies x 10 nodes on 3 nodes.
NODE_PODS="${TOPO_FAKE_NODE_PODS:-1000}"
SERVICE_CIDR="10.96.0.0/16"
KUBE_BIN="$TOPO_CACHE/bin/kube-$KUBE_VERSION"
ETCD_BIN="$TOPO_CACHE/bin/etcd-$ETCD_VERSION/etcd"
KWOK_BIN="$TOPO_CACHE/bin/kwok-$KWOK_VERSION/kwok"
KUBECTL="$KUBE_BIN/kubectl"
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

log() { printf '[cluster] %s\n' "$*" >&2; }
pid_of() { cat "$STATE/$1.pid" 2>/dev/null || true; }
alive() { local p; p="$(pid_of "$1")"; [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }
admin() { "$KUBECTL" --kubeconfig "$STATE/admin.kubeconfig" "$@"; }
readyz() { curl -fsS --max-time 2 --cacert "$STATE/pki/ca.crt" --cert "$STATE/pki/admin.crt" --key "$STATE/pki/admin.key" "https://127.0.0.1:$API_PORT/readyz" >/dev/null 2>&1; }

diagnose() {
  log "diagnostics (state in $STATE):"
  for c in "${COMPONENTS[@]}"; do
    printf '\n----- %s (pid %s, %s) -----\n' "$c" "$(pid_of "$c")" "$(alive "$c" && echo running || echo stopped)" >&2
    tail -n 25 "$STATE/$c.log" >&2 2>/dev/null || true
  done
  admin get nodes,pods -A -o wide >&2 2>/dev/null || true
}

cert() { # cert NAME CN [O] [SAN]
  local name="$1" cn="$2" org="${3:-}" san="${4:-}" subj="/CN=$2"
  [ -n "$org" ] && subj="/O=$org/CN=$cn"
  openssl genrsa -out "$STATE/pki/$name.key" 2048 2>/dev/null
  openssl req -new -key "$STATE/pki/$name.key" -subj "$subj" -out "$STATE/pki/$name.csr" 2>/dev/null
  local ext="$STATE/pki/$name.ext"
  printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n' >"$ext"
  [ -n "$san" ] && printf 'subjectAltName=%s\n' "$san" >>"$ext"
  openssl x509 -req -in "$STATE/pki/$name.csr" -CA "$STATE/pki/ca.crt" -CAkey "$STATE/pki/ca.key" -CAcreateserial \
    -days 3650 -sha256 -extfile "$ext" -out "$STATE/pki/$name.crt" 2>/dev/null
}

kubeconfig() { # kubeconfig NAME CERT
  cat >"$STATE/$1.kubeconfig" <<YAML
apiVersion: v1
kind: Config
clusters:
  - name: topo-local
    cluster:
      server: https://127.0.0.1:$API_PORT
      certificate-authority: $STATE/pki/ca.crt
users:
  - name: $1
    user:
      client-certificate: $STATE/pki/$2.crt
      client-key: $STATE/pki/$2.key
contexts:
  - name: topo-local
    context: { cluster: topo-local, user: $1 }
current-context: topo-local
YAML
}

make_pki() {
  mkdir -p "$STATE/pki"
  openssl genrsa -out "$STATE/pki/ca.key" 2048 2>/dev/null
  openssl req -x509 -new -key "$STATE/pki/ca.key" -subj "/CN=topo-local-ca" -days 3650 -out "$STATE/pki/ca.crt" 2>/dev/null
  cert apiserver kube-apiserver "" "IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  cert admin admin system:masters
  cert kcm system:kube-controller-manager
  cert scheduler system:kube-scheduler
  openssl genrsa -out "$STATE/pki/sa.key" 2048 2>/dev/null
  openssl rsa -in "$STATE/pki/sa.key" -pubout -out "$STATE/pki/sa.pub" 2>/dev/null
  kubeconfig admin admin
  kubeconfig kcm kcm
  kubeconfig scheduler scheduler
}

start() { # start NAME BINARY ARGS...
  local name="$1"; shift
  setsid nohup "$@" >"$STATE/$name.log" 2>&1 < /dev/null &
  echo $! >"$STATE/$name.pid"
}

wait_until() { # wait_until SECONDS WHAT COMMAND...
  local deadline=$((SECONDS + $1)) what="$2"; shift 2
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then log "timed out waiting for $what"; diagnose; exit 1; fi
    sleep 0.5
  done
}

fake_nodes() {
  for i in $(seq 0 $((NODES - 1))); do
    cat <<YAML
---
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations: { kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: "0" }
  labels: { type: kwok, kubernetes.io/hostname: kwok-node-$i, kubernetes.io/os: linux, kubernetes.io/arch: amd64 }
status:
  allocatable: { cpu: "32", memory: 256Gi, pods: "$NODE_PODS" }
  capacity: { cpu: "32", memory: 256Gi, pods: "$NODE_PODS" }
YAML
  done
}

all_nodes_ready() {
  local ready
  ready="$(admin get nodes -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' 2>/dev/null | grep -c True || true)"
  [ "$ready" -ge "$NODES" ]
}

running() { for c in "${COMPONENTS[@]}"; do alive "$c" || return 1; done; readyz; }

up() {
  if running; then echo "$STATE/admin.kubeconfig"; return 0; fi
  if [ -d "$STATE" ]; then log "a previous cluster is not healthy; restarting it"; down >/dev/null; fi
  if ! command -v openssl >/dev/null || ! command -v curl >/dev/null; then
    apt-get update -qq && apt-get install -y -qq openssl curl >&2
  fi
  "$here/build-binaries.sh" etcd kwok kube >&2
  local t0=$SECONDS
  mkdir -p "$STATE"
  make_pki
  start etcd "$ETCD_BIN" --name default --data-dir "$STATE/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
    --initial-cluster "default=http://127.0.0.1:$((ETCD_PORT + 1))" --listen-metrics-urls "" \
    --unsafe-no-fsync --quota-backend-bytes 4294967296 --log-level warn
  wait_until 30 etcd curl -fsS "http://127.0.0.1:$ETCD_PORT/health"
  start kube-apiserver "$KUBE_BIN/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$ETCD_PORT" --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --endpoint-reconciler-type=none \
    --secure-port "$API_PORT" --tls-cert-file "$STATE/pki/apiserver.crt" --tls-private-key-file "$STATE/pki/apiserver.key" \
    --client-ca-file "$STATE/pki/ca.crt" --authorization-mode Node,RBAC \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$STATE/pki/sa.pub" --service-account-signing-key-file "$STATE/pki/sa.key" \
    --service-cluster-ip-range "$SERVICE_CIDR" --allow-privileged=true --profiling=false --v=1
  wait_until 90 "kube-apiserver /readyz" readyz
  start kube-controller-manager "$KUBE_BIN/kube-controller-manager" \
    --kubeconfig "$STATE/kcm.kubeconfig" --authentication-kubeconfig "$STATE/kcm.kubeconfig" \
    --authorization-kubeconfig "$STATE/kcm.kubeconfig" --bind-address 127.0.0.1 --secure-port "$KCM_PORT" \
    --use-service-account-credentials --service-account-private-key-file "$STATE/pki/sa.key" \
    --root-ca-file "$STATE/pki/ca.crt" --cluster-signing-cert-file "$STATE/pki/ca.crt" \
    --cluster-signing-key-file "$STATE/pki/ca.key" --service-cluster-ip-range "$SERVICE_CIDR" \
    --controllers '*,-nodeipam' --leader-elect=false --concurrent-deployment-syncs 10 --concurrent-replicaset-syncs 10 \
    --concurrent-gc-syncs 30 --kube-api-qps 200 --kube-api-burst 400 --enable-hostpath-provisioner --v=1
  start kube-scheduler "$KUBE_BIN/kube-scheduler" \
    --kubeconfig "$STATE/scheduler.kubeconfig" --authentication-kubeconfig "$STATE/scheduler.kubeconfig" \
    --authorization-kubeconfig "$STATE/scheduler.kubeconfig" --bind-address 127.0.0.1 --secure-port "$SCHED_PORT" \
    --leader-elect=false --kube-api-qps 200 --kube-api-burst 400 --v=1
  start kwok "$KWOK_BIN" --kubeconfig "$STATE/admin.kubeconfig" --manage-all-nodes=false \
    --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake --config "$here/kwok/stages.yaml" \
    --node-lease-duration-seconds 40 --cidr 10.244.0.1/16 --node-ip 127.0.0.1
  wait_until 60 "the default service account" admin get serviceaccount default -n default
  fake_nodes | admin apply -f - >&2
  # A default StorageClass served by the controller manager's in-tree hostPath provisioner (paths under
  # /tmp), so PersistentVolumeClaims bind the way they do on kind's local-path provisioner.
  admin apply -f - >&2 <<'SC'
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations: { storageclass.kubernetes.io/is-default-class: "true" }
provisioner: kubernetes.io/host-path
reclaimPolicy: Delete
volumeBindingMode: Immediate
SC
  wait_until 60 "$NODES fake nodes Ready" all_nodes_ready
  log "control plane $KUBE_VERSION ready in $((SECONDS - t0))s"
  echo "$STATE/admin.kubeconfig"
}

down() {
  for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do
    local c="${COMPONENTS[$i]}" p
    p="$(pid_of "$c")"
    [ -n "$p" ] && kill "$p" 2>/dev/null && log "stopped $c ($p)"
  done
  for c in "${COMPONENTS[@]}"; do
    local p; p="$(pid_of "$c")"
    for _ in $(seq 1 20); do
      if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then sleep 0.25; else break; fi
    done
    if [ -n "$p" ]; then kill -9 "$p" 2>/dev/null || true; fi
  done
  rm -rf "$STATE"
}

status() {
  local rc=0
  for c in "${COMPONENTS[@]}"; do
    if alive "$c"; then
      printf '%-24s running  pid %-7s rss %s KiB\n' "$c" "$(pid_of "$c")" "$(ps -o rss= -p "$(pid_of "$c")" | tr -d ' ')"
    else printf '%-24s stopped\n' "$c"; rc=1; fi
  done
  if readyz; then echo "apiserver                https://127.0.0.1:$API_PORT ready"; else echo "apiserver                not ready"; rc=1; fi
  [ -f "$STATE/admin.kubeconfig" ] && echo "kubeconfig               $STATE/admin.kubeconfig"
  return $rc
}

cmd="${1:-}"; shift || true
while [ $# -gt 0 ]; do
  case "$1" in --nodes) NODES="$2"; shift 2 ;; *) echo "unknown option: $1" >&2; exit 2 ;; esac
done
case "$cmd" in
  up) up ;; down) down ;; status) status ;;
  diagnose) diagnose ;;
  *) echo "usage: hack/cluster.sh up [--nodes N] | status | down" >&2; exit 2 ;;
esac
