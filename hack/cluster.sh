#!/usr/bin/env bash
# A real Kubernetes control plane on this machine, built from Go modules: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler and kwok with fake nodes, all on 127.0.0.1.
#   hack/cluster.sh up [--nodes N]   start the cluster, or restart only its stopped components on the same etcd
#                                    data and PKI (a frozen one is thawed, kwok restarted when its stages
#                                    changed); prints the admin kubeconfig path
#   hack/cluster.sh up --fresh       down, then up: a new, empty cluster
#   hack/cluster.sh up --zones Z     the fake nodes in Z zones (label topology.kubernetes.io/zone)
#   hack/cluster.sh up --real-node   also a real kubelet node (hack/real-node.sh); remembered by the state dir
#   hack/cluster.sh status           report each component (running, frozen or stopped) and the API server
#   hack/cluster.sh diagnose         each component's state and log tail, then nodes and pods
#   hack/cluster.sh down             stop exactly what `up` started and remove its state
# One component (etcd, kube-apiserver, kube-controller-manager, kube-scheduler or kwok), on the same data:
#   hack/cluster.sh restart C        stop it (SIGTERM, then SIGKILL after 5 s) and start it again
#   hack/cluster.sh stop C | start C
#   hack/cluster.sh freeze C | thaw C   SIGSTOP / SIGCONT, to stage a hung component
#
# Everything below is chosen by environment variables, so a second cluster runs beside the default one
# (test/e2e/support/private-cluster.ts does that for the fault tests) when all of its ports differ:
#   TOPO_CLUSTER_DIR         state: PKI, etcd data, kubeconfigs, logs, pids (default ~/.local/state/topo/cluster;
#                            never TOPO_STATE_DIR, which is `topo up`'s, because `down` deletes this one)
#   TOPO_ETCD_PORT           etcd clients (default 12379)
#   TOPO_ETCD_PEER_PORT      etcd peers (default TOPO_ETCD_PORT + 1); etcd serves no metrics port
#   TOPO_APISERVER_PORT      kube-apiserver, HTTPS (default 16443)
#   TOPO_KCM_PORT            kube-controller-manager's /healthz, HTTPS (default 20257)
#   TOPO_SCHEDULER_PORT      kube-scheduler's /healthz, HTTPS (default 20259)
#                            kwok listens on no port: it runs without --node-port and --server-address
#   TOPO_FAKE_NODES          fake nodes (default 3; or --nodes N)
#   TOPO_FAKE_ZONES          zones the fake nodes are spread over (default 0: no topology.kubernetes.io/zone
#                            label; or --zones Z): kwok-node-i is in zone-(i mod Z)
#   TOPO_FAKE_NODE_PODS      pods each fake node holds (default 1000)
#   TOPO_NODE_LEASE_SECONDS  kwok's node lease (default 40, renewed every quarter of it); the node lifecycle
#                            controller marks a node NotReady this + 10 s after its last renewal (1.34's 50 s)
#   TOPO_CACHE               where the binaries are built (default ~/.cache/topo; hack/lib/versions.sh)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=hack/lib/versions.sh
source "$here/lib/versions.sh"
# shellcheck source=hack/lib/pki.sh
source "$here/lib/pki.sh"

STATE="$(realpath -m "${TOPO_CLUSTER_DIR:-$HOME/.local/state/topo/cluster}")"
# One command that starts or stops components at a time per cluster (two test runs may `up` at once after a
# reboot): the script runs again under flock, which holds the lock itself, so no component inherits it.
case "${1:-}" in
  up | down | restart | stop | start)
    if [ -z "${CLUSTER_SH_LOCKED:-}" ]; then
      mkdir -p "$(dirname "$STATE")"
      CLUSTER_SH_LOCKED=1 exec flock -o "$STATE.lock" "$0" "$@"
    fi ;;
esac
ETCD_PORT="${TOPO_ETCD_PORT:-12379}"
ETCD_PEER_PORT="${TOPO_ETCD_PEER_PORT:-$((ETCD_PORT + 1))}"
API_PORT="${TOPO_APISERVER_PORT:-16443}"
KCM_PORT="${TOPO_KCM_PORT:-20257}"
SCHED_PORT="${TOPO_SCHEDULER_PORT:-20259}"
NODES="${TOPO_FAKE_NODES:-3}"
ZONES="${TOPO_FAKE_ZONES:-0}"
# Pods per fake node: nothing runs on them, so room for a benchmark of 200 topologies x 10 nodes on 3 nodes.
NODE_PODS="${TOPO_FAKE_NODE_PODS:-1000}"
LEASE="${TOPO_NODE_LEASE_SECONDS:-40}"
SERVICE_CIDR="10.96.0.0/16"
KUBE_BIN="$TOPO_CACHE/bin/kube-$KUBE_VERSION"
ETCD_BIN="$TOPO_CACHE/bin/etcd-$ETCD_VERSION/etcd"
KWOK_BIN="$TOPO_CACHE/bin/kwok-$KWOK_VERSION/kwok"
KUBECTL="$KUBE_BIN/kubectl"
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

log() { printf '[cluster] %s\n' "$*" >&2; }
pid_of() { cat "$STATE/$1.pid" 2>/dev/null || true; }
# A component runs when its recorded pid is a live process started for this state dir (after a reboot the
# pid may belong to something else).
alive() {
  local p; p="$(pid_of "$1")"
  [ -n "$p" ] && tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF -- "$STATE/"
}
frozen() { alive "$1" && [ "$(ps -o stat= -p "$(pid_of "$1")" | cut -c1)" = T ]; }
state_of() { if frozen "$1"; then echo frozen; elif alive "$1"; then echo running; else echo stopped; fi; }
admin() { "$KUBECTL" --kubeconfig "$STATE/admin.kubeconfig" "$@"; }
# The real node (hack/real-node.sh) of this cluster, once `up --real-node` marked the state dir for it.
real_node() { TOPO_CLUSTER_DIR="$STATE" TOPO_APISERVER_PORT="$API_PORT" "$here/real-node.sh" "$@"; }
has_real_node() { [ -f "$STATE/real-node" ]; }
want_real_node() { [ "$REAL_NODE" = 1 ] || has_real_node; }
readyz() { curl -fsS --max-time 2 --cacert "$STATE/pki/ca.crt" --cert "$STATE/pki/admin.crt" --key "$STATE/pki/admin.key" "https://127.0.0.1:$API_PORT/readyz" >/dev/null 2>&1; }
healthz() { curl -fsSk --max-time 2 "https://127.0.0.1:$1/healthz" >/dev/null 2>&1; }
port_taken() { (: <"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

diagnose() {
  log "diagnostics (state in $STATE):"
  for c in "${COMPONENTS[@]}"; do
    printf '\n----- %s (pid %s, %s) -----\n' "$c" "$(pid_of "$c")" "$(state_of "$c")" >&2
    tail -n 25 "$STATE/$c.log" >&2 2>/dev/null || true
  done
  admin get nodes,pods -A -o wide >&2 2>/dev/null || true
  if has_real_node; then real_node diagnose || true; fi
}

cert() { pki_cert "$STATE/pki" "$@"; } # cert NAME CN [O] [SAN]
# kubeconfig NAME CERT
kubeconfig() { pki_kubeconfig "$STATE/$1.kubeconfig" "https://127.0.0.1:$API_PORT" "$STATE/pki" "$1" "$2"; }

make_pki() {
  mkdir -p "$STATE/pki"
  openssl genrsa -out "$STATE/pki/ca.key" 2048 2>/dev/null
  openssl req -x509 -new -key "$STATE/pki/ca.key" -subj "/CN=topo-local-ca" -days 3650 -out "$STATE/pki/ca.crt" 2>/dev/null
  cert apiserver kube-apiserver "" "IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  cert admin admin system:masters
  # The controller manager and the scheduler are also system:masters, authorized without RBAC: a restarted
  # API server refuses RBAC-authorized watches until its RBAC cache fills, and those refusals pushed their
  # watch back-off past a minute (a Deployment scaled 75 s after the restart). The controllers themselves
  # still act as their own service accounts (--use-service-account-credentials).
  cert kcm system:kube-controller-manager system:masters
  cert scheduler system:kube-scheduler system:masters
  openssl genrsa -out "$STATE/pki/sa.key" 2048 2>/dev/null
  openssl rsa -in "$STATE/pki/sa.key" -pubout -out "$STATE/pki/sa.pub" 2>/dev/null
  kubeconfig admin admin
  kubeconfig kcm kcm
  kubeconfig scheduler scheduler
}

launch() { # launch NAME BINARY ARGS...: in its own session, so it outlives this script; the log is appended
  local name="$1" log="$STATE/$1.log"; shift
  # Restarts append to the log (so diagnose shows what came before); past 20 MB it moves to NAME.log.1.
  if [ "$(stat -c %s "$log" 2>/dev/null || echo 0)" -gt 20000000 ]; then mv "$log" "$log.1"; fi
  printf '\n===== %s started %s =====\n' "$name" "$(date -u +%FT%TZ)" >>"$log"
  setsid nohup "$@" >>"$log" 2>&1 </dev/null &
  echo $! >"$STATE/$name.pid"
}

wait_until() { # wait_until SECONDS WHAT COMMAND...
  local deadline=$((SECONDS + $1)) what="$2"; shift 2
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then log "timed out waiting for $what"; diagnose; exit 1; fi
    sleep 0.25
  done
}

need_ports() { # need_ports COMPONENT PORT...: refuse to start beside whatever already listens there
  local c="$1" port; shift
  for port in "$@"; do
    for _ in $(seq 1 12); do port_taken "$port" || break; sleep 0.25; done
    if port_taken "$port"; then
      log "cannot start $c: 127.0.0.1:$port is taken (another cluster? see the port variables in $0)"
      ss -ltnp "sport = :$port" >&2 2>/dev/null || true
      exit 1
    fi
  done
}

# One function per component: its flags, and the wait until it serves. `up`, `start` and `restart` use them.
start_etcd() {
  need_ports etcd "$ETCD_PORT" "$ETCD_PEER_PORT"
  launch etcd "$ETCD_BIN" --name default --data-dir "$STATE/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "default=http://127.0.0.1:$ETCD_PEER_PORT" --listen-metrics-urls "" \
    --unsafe-no-fsync --quota-backend-bytes 4294967296 --log-level warn
  wait_until 30 etcd curl -fsS --max-time 2 "http://127.0.0.1:$ETCD_PORT/health"
}

start_kube_apiserver() {
  need_ports kube-apiserver "$API_PORT"
  local real_node_flags=()
  if has_real_node; then mapfile -t real_node_flags < <(real_node apiserver-flags); fi
  launch kube-apiserver "$KUBE_BIN/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$ETCD_PORT" --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --endpoint-reconciler-type=none \
    --secure-port "$API_PORT" --tls-cert-file "$STATE/pki/apiserver.crt" --tls-private-key-file "$STATE/pki/apiserver.key" \
    --client-ca-file "$STATE/pki/ca.crt" --authorization-mode Node,RBAC \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$STATE/pki/sa.pub" --service-account-signing-key-file "$STATE/pki/sa.key" \
    --service-cluster-ip-range "$SERVICE_CIDR" --allow-privileged=true --profiling=false --v=1 "${real_node_flags[@]}"
  wait_until 90 "kube-apiserver /readyz" readyz
}

start_kube_controller_manager() {
  need_ports kube-controller-manager "$KCM_PORT"
  # The node lifecycle controller follows kwok's lease: NotReady LEASE + 10 s after the last renewal,
  # checked every 5 s (every second for a lease under 20 s, as the fault tests use).
  local monitor=5; [ "$LEASE" -lt 20 ] && monitor=1
  launch kube-controller-manager "$KUBE_BIN/kube-controller-manager" \
    --kubeconfig "$STATE/kcm.kubeconfig" --authentication-kubeconfig "$STATE/kcm.kubeconfig" \
    --authorization-kubeconfig "$STATE/kcm.kubeconfig" --bind-address 127.0.0.1 --secure-port "$KCM_PORT" \
    --use-service-account-credentials --service-account-private-key-file "$STATE/pki/sa.key" \
    --root-ca-file "$STATE/pki/ca.crt" --cluster-signing-cert-file "$STATE/pki/ca.crt" \
    --cluster-signing-key-file "$STATE/pki/ca.key" --service-cluster-ip-range "$SERVICE_CIDR" \
    --controllers '*,-nodeipam' --leader-elect=false --concurrent-deployment-syncs 10 --concurrent-replicaset-syncs 10 \
    --concurrent-gc-syncs 30 --kube-api-qps 200 --kube-api-burst 400 --enable-hostpath-provisioner \
    --node-monitor-grace-period "$((LEASE + 10))s" --node-monitor-period "${monitor}s" --v=1
  wait_until 60 "kube-controller-manager /healthz" healthz "$KCM_PORT"
}

start_kube_scheduler() {
  need_ports kube-scheduler "$SCHED_PORT"
  launch kube-scheduler "$KUBE_BIN/kube-scheduler" \
    --kubeconfig "$STATE/scheduler.kubeconfig" --authentication-kubeconfig "$STATE/scheduler.kubeconfig" \
    --authorization-kubeconfig "$STATE/scheduler.kubeconfig" --bind-address 127.0.0.1 --secure-port "$SCHED_PORT" \
    --leader-elect=false --kube-api-qps 200 --kube-api-burst 400 --v=1
  wait_until 60 "kube-scheduler /healthz" healthz "$SCHED_PORT"
}

start_kwok() {
  # Each kwok process holds the node leases under a new identity, so a restarted one would leave the fake
  # nodes (and their pods) alone until the old leases expire: the dead process's leases go first.
  if readyz; then
    local nodes
    nodes="$(admin get nodes -o jsonpath='{range .items[*]}{.metadata.name}{"\t"}{.metadata.annotations.kwok\.x-k8s\.io/node}{"\n"}{end}' | awk '$2 == "fake" { print $1 }')"
    # shellcheck disable=SC2086 # one lease per node name
    [ -z "$nodes" ] || admin delete lease -n kube-node-lease --ignore-not-found $nodes >/dev/null
  fi
  # kwok reads its stages once: it runs on a copy, so `up` can tell when hack/kwok/stages.yaml changed since.
  cp "$here/kwok/stages.yaml" "$STATE/kwok-stages.yaml"
  launch kwok "$KWOK_BIN" --kubeconfig "$STATE/admin.kubeconfig" --manage-all-nodes=false \
    --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake --config "$STATE/kwok-stages.yaml" \
    --node-lease-duration-seconds "$LEASE" --cidr 10.244.0.1/16 --node-ip 127.0.0.1
  sleep 0.5
  alive kwok || { log "kwok exited at once"; tail -n 20 "$STATE/kwok.log" >&2; exit 1; }
}

start_component() { "start_${1//-/_}"; }

stop_component() { # SIGTERM (and SIGCONT, should it be frozen), SIGKILL after 5 s
  local c="$1" p
  alive "$c" || { rm -f "$STATE/$c.pid"; return 0; }
  p="$(pid_of "$c")"
  kill -TERM "$p" 2>/dev/null || true
  kill -CONT "$p" 2>/dev/null || true
  for _ in $(seq 1 20); do alive "$c" || break; sleep 0.25; done
  if alive "$c"; then kill -KILL "$p" 2>/dev/null || true; log "killed $c ($p) after 5 s"; else log "stopped $c ($p)"; fi
  # Gone, or a zombie (nothing here reaps it): only then are its ports closed.
  while ps -o stat= -p "$p" | grep -qv Z; do sleep 0.1; done
  rm -f "$STATE/$c.pid"
}

fake_nodes() {
  local zone=""
  for i in $(seq 0 $((NODES - 1))); do
    if [ "$ZONES" -gt 0 ]; then zone=", topology.kubernetes.io/zone: zone-$((i % ZONES))"; fi
    cat <<YAML
---
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations: { kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: "0" }
  labels: { type: kwok, kubernetes.io/hostname: kwok-node-$i, kubernetes.io/os: linux, kubernetes.io/arch: amd64$zone }
status:
  allocatable: { $(fake_node_resources) }
  capacity: { $(fake_node_resources) }
YAML
  done
}
# What a fake node offers: every resource a real node reports, ephemeral storage included (a pod that
# requests it is unschedulable on a node that reports none).
# JSON, which is YAML as well.
fake_node_resources() { printf '"cpu": "32", "memory": "256Gi", "ephemeral-storage": "1Ti", "pods": "%s"' "$NODE_PODS"; }

# A node's status is a subresource: apply sets it on create and never after, so the fake nodes of a
# cluster made before a resource was added to fake_node_resources get it here (kwok's stages keep it).
fake_nodes_status() {
  local node
  admin get nodes -l type=kwok -o jsonpath='{range .items[*]}{.metadata.name} {.status.allocatable.ephemeral-storage}{"\n"}{end}' |
    while read -r node storage; do
      [ -n "$storage" ] && continue
      admin patch node "$node" --subresource=status --type=merge \
        -p "{\"status\": {\"allocatable\": {$(fake_node_resources)}, \"capacity\": {$(fake_node_resources)}}}" >&2
    done
}

all_nodes_ready() {
  local ready
  ready="$(admin get nodes -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' 2>/dev/null | grep -c True || true)"
  [ "$ready" -ge "$NODES" ]
}

# The objects every cluster has: the fake nodes and a default StorageClass served by the controller
# manager's in-tree hostPath provisioner (paths under /tmp), so PersistentVolumeClaims bind the way they do
# on kind's local-path provisioner. Applying them again changes nothing.
bootstrap() {
  wait_until 60 "the default service account" admin get serviceaccount default -n default
  fake_nodes | admin apply -f - >&2
  fake_nodes_status
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
}

# Whether the running kwok has the stages of hack/kwok/stages.yaml (a new stage needs a kwok restart).
stages_current() { cmp -s "$here/kwok/stages.yaml" "$STATE/kwok-stages.yaml"; }

running() {
  for c in "${COMPONENTS[@]}"; do if ! alive "$c" || frozen "$c"; then return 1; fi; done
  stages_current && readyz
}

up() {
  [ "$FRESH" = 1 ] && down
  if running && { ! want_real_node || real_node status >/dev/null 2>&1; }; then
    fake_nodes_status
    echo "$STATE/admin.kubeconfig"
    return 0
  fi
  if ! command -v openssl >/dev/null || ! command -v curl >/dev/null; then
    apt-get update -qq && apt-get install -y -qq openssl curl >&2
  fi
  "$here/build-binaries.sh" etcd kwok kube >&2
  local t0=$SECONDS started=() what
  mkdir -p "$STATE"
  if [ -f "$STATE/pki/ca.crt" ]; then what="restarted"; else what="new cluster"; make_pki; fi
  if [ "$REAL_NODE" = 1 ] && ! has_real_node; then
    # The API server needs the real node's flags and certificate: a running one is restarted with them.
    touch "$STATE/real-node"
    real_node prepare
    if alive kube-apiserver; then stop_component kube-apiserver; fi
  elif has_real_node; then
    real_node prepare
    # An interrupted `up --real-node` leaves the mark with the API server still running without the
    # node's flags: restart it with them.
    if alive kube-apiserver && ! tr '\0' ' ' <"/proc/$(pid_of kube-apiserver)/cmdline" | grep -q -- --kubelet-client-certificate; then
      stop_component kube-apiserver
    fi
  fi
  if alive kwok && ! stages_current; then
    log "hack/kwok/stages.yaml changed since kwok started: restarting kwok"
    stop_component kwok
  fi
  for c in "${COMPONENTS[@]}"; do
    if frozen "$c"; then log "$c ($(pid_of "$c")) was frozen: thawing it"; kill -CONT "$(pid_of "$c")"; fi
    if ! alive "$c"; then start_component "$c"; started+=("$c"); fi
  done
  wait_until 90 "kube-apiserver /readyz" readyz
  bootstrap
  wait_until 60 "$NODES fake nodes Ready" all_nodes_ready
  if has_real_node; then real_node up; fi
  log "control plane $KUBE_VERSION ready in $((SECONDS - t0))s ($what: ${started[*]:-nothing})"
  echo "$STATE/admin.kubeconfig"
}

down() {
  if has_real_node || [ -d "$STATE/node" ]; then real_node down; fi
  rm -f "$STATE/real-node"
  for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do stop_component "${COMPONENTS[$i]}"; done
  # Only what `up` wrote, so a TOPO_CLUSTER_DIR pointed at the wrong directory loses nothing else.
  rm -rf "$STATE/pki" "$STATE/etcd"
  for c in "${COMPONENTS[@]}"; do rm -f "$STATE/$c.log" "$STATE/$c.log.1" "$STATE/$c.pid"; done
  rm -f "$STATE/kwok-stages.yaml"
  rm -f "$STATE/admin.kubeconfig" "$STATE/kcm.kubeconfig" "$STATE/scheduler.kubeconfig"
  rmdir "$STATE" 2>/dev/null || true
}

status() {
  local rc=0
  for c in "${COMPONENTS[@]}"; do
    case "$(state_of "$c")" in
      running) printf '%-24s running  pid %-7s rss %s KiB\n' "$c" "$(pid_of "$c")" "$(ps -o rss= -p "$(pid_of "$c")" | tr -d ' ')" ;;
      frozen) printf '%-24s frozen   pid %s\n' "$c" "$(pid_of "$c")"; rc=1 ;;
      *) printf '%-24s stopped\n' "$c"; rc=1 ;;
    esac
  done
  if readyz; then echo "apiserver                https://127.0.0.1:$API_PORT ready"; else echo "apiserver                not ready"; rc=1; fi
  [ -f "$STATE/admin.kubeconfig" ] && echo "kubeconfig               $STATE/admin.kubeconfig"
  if has_real_node; then real_node status || rc=1; fi
  return $rc
}

one() { # one ACTION COMPONENT
  local action="$1" c="$2" t0=$SECONDS
  [ -f "$STATE/pki/ca.crt" ] || { log "no cluster in $STATE: run hack/cluster.sh up"; exit 1; }
  case "$action" in
    stop) stop_component "$c" ;;
    start | restart)
      [ "$action" = restart ] && stop_component "$c"
      if alive "$c"; then log "$c is already running ($(pid_of "$c"))"; return 0; fi
      start_component "$c"
      case "$c" in etcd) wait_until 90 "kube-apiserver /readyz" readyz ;; esac
      log "${action}ed $c in $((SECONDS - t0))s (pid $(pid_of "$c"))" ;;
    freeze) alive "$c" || { log "$c is not running"; exit 1; }; kill -STOP "$(pid_of "$c")"; log "froze $c ($(pid_of "$c"))" ;;
    thaw) alive "$c" || { log "$c is not running"; exit 1; }; kill -CONT "$(pid_of "$c")"; log "thawed $c ($(pid_of "$c"))" ;;
  esac
}

usage() {
  local IFS='|'
  echo "usage: hack/cluster.sh up [--nodes N] [--zones Z] [--fresh] [--real-node] | status | diagnose | down" >&2
  echo "       hack/cluster.sh restart|stop|start|freeze|thaw ${COMPONENTS[*]}" >&2
  exit 2
}

cmd="${1:-}"; shift || true
COMPONENT=""
case "$cmd" in
  restart | stop | start | freeze | thaw)
    COMPONENT="${1:-}"; shift || true
    [[ " ${COMPONENTS[*]} " == *" $COMPONENT "* ]] || { echo "unknown component: '$COMPONENT'" >&2; usage; } ;;
esac
FRESH=0
REAL_NODE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) NODES="$2"; shift 2 ;;
    --zones) ZONES="$2"; shift 2 ;;
    --fresh) FRESH=1; shift ;;
    --real-node) REAL_NODE=1; shift ;;
    *) echo "unknown option: $1" >&2; usage ;;
  esac
done
case "$cmd" in
  up) up ;; down) down ;; status) status ;; diagnose) diagnose ;;
  restart | stop | start | freeze | thaw) one "$cmd" "$COMPONENT" ;;
  *) usage ;;
esac
