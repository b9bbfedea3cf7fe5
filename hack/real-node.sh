#!/usr/bin/env bash
# A real worker node beside the kwok nodes of hack/cluster.sh: kubelet and kube-proxy built from the control
# plane's k8s.io/kubernetes module, Debian's containerd and runc, Debian's CNI plugins, CoreDNS and kube-router
# (NetworkPolicy) built from Go modules. Pods run as real runc containers.
#
# The node lives in a network namespace of its own (as kind's node containers do): a veth pair gives it
# 172.30.0.2/24, the host side is 172.30.0.1, and the API server listens there too. kubelet, containerd,
# kube-proxy, kube-router and CoreDNS run in that namespace, so cni0, the pods' veths and every iptables chain
# they write (KUBE-*, CNI-*, KUBE-ROUTER-*) stay inside it and go with it. Pods get 10.245.0.0/24.
#
#   hack/real-node.sh up        start the node (the control plane must run with the flags of `apiserver-flags`)
#   hack/real-node.sh status    report each component
#   hack/real-node.sh diagnose  logs and state, for a failed start
#   hack/real-node.sh images [IMAGE...]  import local Docker images into the node's containerd (default: all)
#   hack/real-node.sh down      stop it and remove everything it left (see clean_up)
#   hack/real-node.sh apiserver-flags | prepare   hooks for hack/cluster.sh
# Normally driven by `hack/cluster.sh up --real-node`; docs/real-node.md explains the pieces.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=hack/lib/versions.sh
source "$here/lib/versions.sh"
# shellcheck source=hack/lib/pki.sh
source "$here/lib/pki.sh"

# The cluster it joins: the same variables as hack/cluster.sh (which passes them explicitly).
STATE="$(realpath -m "${TOPO_CLUSTER_DIR:-$HOME/.local/state/topo/cluster}")"
API_PORT="${TOPO_APISERVER_PORT:-16443}"
NODE="$STATE/node"
NETNS=topo-node
NODE_NAME=real-node
HOST_IF=topo-node0
HOST_IP=172.30.0.1
NODE_IP=172.30.0.2
POD_CIDR=10.245.0.0/24
POD_GATEWAY=10.245.0.1
SERVICE_CIDR=10.96.0.0/16
# What routes workloads here: the node is tainted and labelled with this key; a namespace annotated as in
# docs/real-node.md (test/e2e/support/real-node.ts) gets the node selector and the toleration.
TAINT_KEY=topo.dev/real-node
IMAGES=(topo/testsvc:local topo/busybox:local topo/operator:dev)
SANDBOX_IMAGE=topo/pause:local
NODE_BIN="$TOPO_CACHE/bin/kube-node-$KUBE_VERSION"
COREDNS_BIN="$TOPO_CACHE/bin/coredns-$COREDNS_VERSION/coredns"
# Keyed like hack/build-binaries.sh: the version and the dependencies it is built with.
KUBE_ROUTER_BIN="$TOPO_CACHE/bin/kube-router-$KUBE_ROUTER_VERSION-$(printf %s "$KUBE_ROUTER_DEPS" | cksum | cut -d' ' -f1)/kube-router"
KUBECTL="$TOPO_CACHE/bin/kube-$KUBE_VERSION/kubectl"
SOCK="$NODE/containerd/containerd.sock"
COMPONENTS=(containerd kubelet kube-proxy kube-router coredns)
# Owner of the one node namespace this machine can have: the cluster state dir that created it.
OWNER=/run/topo-node.owner

log() { printf '[real-node] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
pid_of() { cat "$NODE/$1.pid" 2>/dev/null || true; }
# Alive: the recorded pid is a process started for this node (its command line names the node's state dir).
alive() { local p; p="$(pid_of "$1")"; [ -n "$p" ] && { tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null | grep -qF -- "$NODE/"; }
admin() { "$KUBECTL" --kubeconfig "$STATE/admin.kubeconfig" "$@"; }
in_node() { nsenter --net="/run/netns/$NETNS" -- "$@"; }
ctr_node() { ctr --address "$SOCK" --namespace k8s.io "$@"; }

wait_until() { # wait_until SECONDS WHAT COMMAND...
  local deadline=$((SECONDS + $1)) what="$2"; shift 2
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge "$deadline" ]; then log "timed out waiting for $what"; diagnose; exit 1; fi
    sleep 0.2
  done
}

# --- hooks for hack/cluster.sh --------------------------------------------------------------------------

# The API server flags the real node needs (appended after cluster.sh's own, so these win): listen on the
# node-facing address too and advertise it (the `kubernetes` Service's endpoint, reconciled by the API server),
# reach kubelets over TLS with a client certificate and check their serving certificates against the CA,
# prefer the InternalIP (there is no DNS for node names), and the admission plugins that give annotated
# namespaces a node selector and tolerations.
apiserver_flags() {
  printf '%s\n' --bind-address=0.0.0.0 "--advertise-address=$HOST_IP" --endpoint-reconciler-type=lease \
    "--kubelet-client-certificate=$STATE/pki/apiserver-kubelet-client.crt" \
    "--kubelet-client-key=$STATE/pki/apiserver-kubelet-client.key" \
    "--kubelet-certificate-authority=$STATE/pki/ca.crt" \
    --kubelet-preferred-address-types=InternalIP,Hostname \
    --enable-admission-plugins=NodeRestriction,PodNodeSelector,PodTolerationRestriction
}

# Before the API server starts: the node's network (so its address exists) and the certificates the flags name.
prepare() {
  preflight
  network
  pki
}

# --- host preparation -----------------------------------------------------------------------------------

preflight() {
  [ "$(id -u)" -eq 0 ] || die "the real node needs root (network namespaces, cgroups, iptables, mounts)"
  [ -d /sys/fs/cgroup/memory ] || [ -f /sys/fs/cgroup/cgroup.controllers ] || die "no cgroup hierarchy mounted"
  local missing=()
  command -v containerd >/dev/null || missing+=(containerd)
  command -v runc >/dev/null || missing+=(runc)
  [ -x /usr/lib/cni/bridge ] && [ -x /usr/lib/cni/firewall ] || missing+=(containernetworking-plugins)
  command -v ipset >/dev/null || missing+=(ipset)
  command -v iptables >/dev/null || missing+=(iptables)
  command -v nsenter >/dev/null || missing+=(util-linux)
  command -v openssl >/dev/null || missing+=(openssl)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]} from Debian"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
      { apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2; }
  fi
  "$here/build-binaries.sh" node >&2
  if [ -f "$OWNER" ] && [ "$(cat "$OWNER")" != "$STATE" ] && [ -e "/run/netns/$NETNS" ]; then
    local other p
    other="$(cat "$OWNER")"
    p="$(cat "$other/node/kubelet.pid" 2>/dev/null || true)"
    if [ -n "$p" ] && { tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null | grep -qF -- "$other/node/"; then
      die "the node namespace $NETNS belongs to the cluster in $other; take that one down first"
    fi
    # Left by a cluster whose node no longer runs (a reboot, a killed session): the namespace is taken over.
    log "taking over $NETNS from $other, whose node is not running"
    ip netns del "$NETNS" 2>/dev/null || true
    ip link del "$HOST_IF" 2>/dev/null || true
  fi
}

# The node's own address: a network namespace and a veth pair, both deterministic, nothing on the uplink.
network() {
  mkdir -p "$NODE"
  echo "$STATE" >"$OWNER"
  [ -e "/run/netns/$NETNS" ] || ip netns add "$NETNS"
  if ! ip link show "$HOST_IF" >/dev/null 2>&1; then
    ip link add "$HOST_IF" type veth peer name topo-eth0 netns "$NETNS"
    ip -n "$NETNS" link set topo-eth0 name eth0
  fi
  ip addr replace "$HOST_IP/24" dev "$HOST_IF"
  ip link set "$HOST_IF" up
  ip -n "$NETNS" addr replace "$NODE_IP/24" dev eth0
  ip -n "$NETNS" link set lo up
  ip -n "$NETNS" link set eth0 up
  ip -n "$NETNS" route replace default via "$HOST_IP"
  # The host reaches pods (and the API server answers them) through the node.
  ip route replace "$POD_CIDR" via "$NODE_IP" dev "$HOST_IF"
  # Bridged pod-to-pod traffic must cross iptables for kube-proxy and kube-router (per namespace since 5.3).
  ip netns exec "$NETNS" sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1 \
    net.bridge.bridge-nf-call-ip6tables=1 >/dev/null
}

cert() { pki_cert "$STATE/pki" "$@"; } # cert NAME CN [O] [SAN]
# kubeconfig NAME CERT
kubeconfig() { pki_kubeconfig "$NODE/$1.kubeconfig" "https://$HOST_IP:$API_PORT" "$STATE/pki" "$1" "$2"; }

pki() {
  [ -f "$STATE/pki/ca.key" ] || die "no cluster PKI in $STATE/pki: start the control plane with hack/cluster.sh up --real-node"
  mkdir -p "$NODE"
  # The API server's certificate must name the node-facing address; an older one is reissued with it.
  if ! openssl x509 -in "$STATE/pki/apiserver.crt" -noout -ext subjectAltName 2>/dev/null | grep -q "IP Address:$HOST_IP"; then
    local san
    san="$(openssl x509 -in "$STATE/pki/apiserver.crt" -noout -ext subjectAltName | tail -n +2 | sed 's/IP Address:/IP:/g; s/ //g')"
    rm -f "$STATE/pki/apiserver.crt"
    cert apiserver kube-apiserver "" "$san,IP:$HOST_IP"
  fi
  cert apiserver-kubelet-client kube-apiserver-kubelet-client system:masters
  cert kubelet "system:node:$NODE_NAME" system:nodes
  cert kubelet-serving "system:node:$NODE_NAME" system:nodes "IP:$NODE_IP,DNS:$NODE_NAME"
  cert kube-proxy system:kube-proxy
  cert coredns system:coredns
  cert kube-router system:kube-router
  kubeconfig kubelet kubelet
  kubeconfig kube-proxy kube-proxy
  kubeconfig coredns coredns
  kubeconfig kube-router kube-router
}

# --- components -----------------------------------------------------------------------------------------

start() { # start NAME COMMAND... — in the node's network namespace, outliving this shell
  local name="$1"; shift
  setsid nohup nsenter --net="/run/netns/$NETNS" -- "$@" >"$NODE/$name.log" 2>&1 </dev/null &
  echo $! >"$NODE/$name.pid"
}

containerd_config() {
  mkdir -p "$NODE/containerd" "$NODE/cni/net.d" "$NODE/cni/ipam"
  # Its own root, state and socket, so it never meets Docker's containerd. restrict_oom_score_adj: this VM lacks
  # CAP_SYS_RESOURCE and runc cannot lower a container's oom_score_adj below its own.
  cat >"$NODE/containerd/config.toml" <<TOML
version = 2
root = "$NODE/containerd/root"
state = "$NODE/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "$SOCK"
[ttrpc]
  address = ""
[debug]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$NODE/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "docker.io/$SANDBOX_IMAGE"
  restrict_oom_score_adj = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$NODE/cni/net.d"
TOML
  # bridge + host-local on cni0; firewall lets pod traffic through a FORWARD chain whatever its policy;
  # portmap for hostPort. containerd adds loopback itself.
  cat >"$NODE/cni/net.d/10-topo.conflist" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "topo-node",
  "plugins": [
    {
      "type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
      "ipam": {
        "type": "host-local", "dataDir": "$NODE/cni/ipam",
        "ranges": [[{ "subnet": "$POD_CIDR", "gateway": "$POD_GATEWAY" }]],
        "routes": [{ "dst": "0.0.0.0/0" }]
      }
    },
    { "type": "firewall" },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
JSON
}

kubelet_config() {
  # Everything the kubelet would otherwise assume or check is spelled out: cgroupfs (cgroup v1, no systemd),
  # no swap check, cgroup v1 accepted, its own oom score left alone, image GC off (images cannot be pulled
  # back), TLS serving with a CA-signed certificate, webhook authentication/authorization, no anonymous access.
  cat >"$NODE/kubelet.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
containerRuntimeEndpoint: unix://$SOCK
cgroupDriver: cgroupfs
cgroupsPerQOS: true
failCgroupV1: false
failSwapOn: false
memorySwap: { swapBehavior: NoSwap }
oomScoreAdj: 0
address: $NODE_IP
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
tlsCertFile: $STATE/pki/kubelet-serving.crt
tlsPrivateKeyFile: $STATE/pki/kubelet-serving.key
rotateCertificates: false
serverTLSBootstrap: false
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: true, cacheTTL: 30s }
  x509: { clientCAFile: $STATE/pki/ca.crt }
authorization:
  mode: Webhook
  webhook: { cacheAuthorizedTTL: 30s, cacheUnauthorizedTTL: 10s }
clusterDNS: [$NODE_IP]
clusterDomain: cluster.local
resolvConf: ""
registerNode: true
registerWithTaints:
  - { key: $TAINT_KEY, value: "true", effect: NoSchedule }
maxPods: 110
podLogsDir: $NODE/pod-logs
serializeImagePulls: false
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: { memory.available: 100Mi, nodefs.available: 2%, imagefs.available: 2%, nodefs.inodesFree: 2% }
shutdownGracePeriod: 0s
staticPodPath: ""
YAML
}

kube_proxy_config() {
  cat >"$NODE/kube-proxy.yaml" <<YAML
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: { kubeconfig: $NODE/kube-proxy.kubeconfig }
hostnameOverride: $NODE_NAME
mode: iptables
clusterCIDR: $POD_CIDR
detectLocalMode: ClusterCIDR
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
oomScoreAdj: 0
# conntrack sysctls are left as the kernel has them (0 = do not set).
conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s }
iptables: { minSyncPeriod: 0s, syncPeriod: 30s }
YAML
}

coredns_config() {
  # cluster.local from the API server; nothing is forwarded (no upstream is reachable from here).
  cat >"$NODE/Corefile" <<COREFILE
.:53 {
    bind $NODE_IP
    errors
    health 127.0.0.1:18080
    ready 127.0.0.1:18181
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig $NODE/coredns.kubeconfig topo-local
        pods insecure
        ttl 5
    }
    cache 5
    loadbalance
}
COREFILE
}

# RBAC for the two components that are not built into the API server's bootstrap policy.
rbac() {
  admin apply -f - >/dev/null <<'YAML'
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: "topo:coredns" }
rules:
  - { apiGroups: [""], resources: [endpoints, services, pods, namespaces], verbs: [list, watch] }
  - { apiGroups: [discovery.k8s.io], resources: [endpointslices], verbs: [list, watch] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: "topo:coredns" }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "topo:coredns" }
subjects: [{ apiGroup: rbac.authorization.k8s.io, kind: User, name: "system:coredns" }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: "topo:kube-router" }
rules:
  - { apiGroups: [""], resources: [namespaces, pods, services, nodes, endpoints], verbs: [get, list, watch] }
  - { apiGroups: [networking.k8s.io], resources: [networkpolicies], verbs: [get, list, watch] }
  - { apiGroups: [discovery.k8s.io], resources: [endpointslices], verbs: [get, list, watch] }
  - { apiGroups: ["", events.k8s.io], resources: [events], verbs: [create, patch, update] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: "topo:kube-router" }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "topo:kube-router" }
subjects: [{ apiGroup: rbac.authorization.k8s.io, kind: User, name: "system:kube-router" }]
YAML
}

node_ready() {
  [ "$(admin get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
}
services_synced() { in_node iptables -t nat -S KUBE-SERVICES 2>/dev/null | grep -q 'default/kubernetes:https'; }
dns_ready() { in_node curl -fsS --max-time 1 http://127.0.0.1:18181/ready; }

# images [IMAGE...] — docker save | ctr import, skipping images whose Docker ID was imported already.
images() {
  local want=("$@") img id stamp="$NODE/containerd/imported"
  [ ${#want[@]} -eq 0 ] && want=("$SANDBOX_IMAGE" "${IMAGES[@]}")
  touch "$stamp"
  for img in "${want[@]}"; do
    id="$(docker image inspect -f '{{.Id}}' "$img" 2>/dev/null || true)"
    if [ -z "$id" ]; then log "image $img is not in the local Docker engine; not imported"; continue; fi
    grep -qx "$img $id" "$stamp" && ctr_node images ls -q | grep -qx "docker.io/$img" && continue
    docker save "$img" | ctr_node images import - >/dev/null
    grep -v "^$img " "$stamp" >"$stamp.new" || true
    echo "$img $id" >>"$stamp.new" && mv "$stamp.new" "$stamp"
    log "imported $img into the node's containerd"
  done
}

running() { for c in "${COMPONENTS[@]}"; do alive "$c" || return 1; done; node_ready; }

up() {
  if running; then log "real node $NODE_NAME is running"; images >/dev/null; return 0; fi
  [ -d "$NODE" ] && [ -n "$(cat "$NODE"/*.pid 2>/dev/null)" ] && { log "a previous real node is not healthy; cleaning it up"; down; }
  local t0=$SECONDS
  prepare
  admin get --raw /readyz >/dev/null || die "the API server does not answer (start it with hack/cluster.sh up --real-node)"
  docker info >/dev/null 2>&1 || "$here/docker.sh" up >&2
  docker image inspect "$SANDBOX_IMAGE" >/dev/null 2>&1 || "$here/images.sh" pause
  rbac
  containerd_config
  kubelet_config
  kube_proxy_config
  coredns_config
  mkdir -p "$NODE/kubelet" "$NODE/pod-logs"
  start containerd containerd --config "$NODE/containerd/config.toml"
  wait_until 30 "containerd" ctr_node version
  images
  local t1=$SECONDS
  start kubelet "$NODE_BIN/kubelet" --config "$NODE/kubelet.yaml" --kubeconfig "$NODE/kubelet.kubeconfig" \
    --root-dir "$NODE/kubelet" --cert-dir "$NODE/kubelet/pki" --node-ip "$NODE_IP" \
    --hostname-override "$NODE_NAME" --node-labels "$TAINT_KEY=true,topo.dev/node=real" --v=1
  wait_until 60 "node $NODE_NAME Ready" node_ready
  local ready=$((SECONDS - t1))
  # kube-proxy and kube-router identify themselves by the Node object: started once it exists.
  start kube-proxy "$NODE_BIN/kube-proxy" --config "$NODE/kube-proxy.yaml" --v=1
  # kube-router rewrites the filter table (iptables-save, then -restore): started beside kube-proxy's first
  # sync, it dropped the chain kube-proxy had just made, and kube-proxy never retried. One after the other.
  wait_until 30 "kube-proxy's first sync" services_synced
  start kube-router "$KUBE_ROUTER_BIN" --kubeconfig "$NODE/kube-router.kubeconfig" \
    --run-firewall=true --run-router=false --run-service-proxy=false --enable-cni=false \
    --enable-ipv4=true --enable-ipv6=false --hostname-override "$NODE_NAME" \
    --service-cluster-ip-range "$SERVICE_CIDR" --health-port 20244 --metrics-port 0 --v=1
  start coredns "$COREDNS_BIN" -conf "$NODE/Corefile"
  wait_until 30 "CoreDNS ready" dns_ready
  wait_until 30 "kube-proxy healthy" in_node curl -fsS --max-time 1 http://127.0.0.1:10256/healthz
  wait_until 30 "kube-router healthy" in_node curl -fsS --max-time 1 http://127.0.0.1:20244/healthz
  for c in "${COMPONENTS[@]}"; do alive "$c" || { log "$c exited"; diagnose; exit 1; }; done
  log "real node $NODE_NAME Ready ${ready}s after kubelet start (${NODE_IP}, pods ${POD_CIDR}; up in $((SECONDS - t0))s)"
}

# Every process that our containerd's shims run, by PID: the shims name our socket on their command line.
our_shims() {
  local p
  for p in /proc/[0-9]*; do
    { tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -q -- "-address $SOCK " && echo "${p#/proc/}"
  done
  return 0
}

stop_pids() { # stop_pids NAME... — TERM to each, then KILL whatever still runs after 5 s
  local c p pids=()
  for c in "$@"; do
    p="$(pid_of "$c")"
    if [ -n "$p" ] && alive "$c"; then kill "$p" 2>/dev/null || true; pids+=("$c:$p"); fi
  done
  for _ in $(seq 1 50); do
    local left=0
    for c in "${pids[@]}"; do kill -0 "${c#*:}" 2>/dev/null && left=1; done
    [ $left -eq 0 ] && break
    sleep 0.1
  done
  for c in "${pids[@]}"; do
    if kill -0 "${c#*:}" 2>/dev/null; then kill -9 "${c#*:}" 2>/dev/null || true; log "killed ${c%%:*} (${c#*:})"
    else log "stopped ${c%%:*} (${c#*:})"; fi
  done
}

# Clean-up: what the node leaves outside its state dir, as the trial found it. The pods' containers and their
# shims; the pods' network namespaces (/run/netns/cni-*, ours only: read from containerd before it stops); every
# mount under the state dir (kubelet bind-mounts its root dir onto itself, tmpfs volumes, overlay rootfs);
# /var/lib/kubelet (device-plugins and pki are fixed paths), /var/log/containers, /var/lib/cni (libcni's cache);
# the kubepods cgroups; the node's namespace, which takes cni0, the veths and its iptables chains with it.
down() {
  local netns=() c id
  stop_pids kubelet
  if alive containerd; then
    mapfile -t netns < <(ctr_node containers ls -q 2>/dev/null | while read -r id; do
      ctr_node containers info "$id" </dev/null 2>/dev/null | grep -o '"/var/run/netns/cni-[0-9a-f-]*"' | tr -d '"'
    done | sort -u)
    for id in $(ctr_node tasks ls -q 2>/dev/null); do ctr_node tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true; done
    sleep 0.5
    for id in $(ctr_node tasks ls -q 2>/dev/null); do ctr_node tasks delete -f "$id" >/dev/null 2>&1 || true; done
  fi
  stop_pids coredns kube-router kube-proxy containerd
  for id in $(our_shims); do kill -9 "$id" 2>/dev/null || true; done
  for id in "${netns[@]}"; do umount "$id" 2>/dev/null || true; rm -f "$id"; done
  # Deepest first; lazily, since a dead container may still pin one for a moment.
  awk -v dir="$NODE" '$5 == dir || index($5, dir "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null || true; done
  if [ -f "$OWNER" ] && [ "$(cat "$OWNER")" = "$STATE" ]; then
    ip netns del "$NETNS" 2>/dev/null || true
    ip link del "$HOST_IF" 2>/dev/null || true
    rm -f "$OWNER"
  fi
  local cg
  for cg in /sys/fs/cgroup/*/kubepods; do
    [ -d "$cg" ] && find "$cg" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
  rm -rf /var/lib/kubelet /var/log/containers /var/lib/cni "$NODE"
  if [ -f "$STATE/admin.kubeconfig" ] && admin get node "$NODE_NAME" >/dev/null 2>&1; then
    admin delete node "$NODE_NAME" --wait=false >/dev/null 2>&1 || true
  fi
  return 0
}

status() {
  local rc=0 c
  # "real-node NAME": two words, so the control plane's "NAME running pid" lines stay the only ones of that shape.
  for c in "${COMPONENTS[@]}"; do
    if alive "$c"; then
      printf 'real-node %-14s running  pid %-7s rss %s KiB\n' "$c" "$(pid_of "$c")" "$(ps -o rss= -p "$(pid_of "$c")" | tr -d ' ')"
    else printf 'real-node %-14s stopped\n' "$c"; rc=1; fi
  done
  if node_ready; then echo "real-node node           $NODE_NAME Ready ($NODE_IP, pods $POD_CIDR)"
  else echo "real-node node           $NODE_NAME not ready"; rc=1; fi
  if services_synced; then echo "real-node services       kube-proxy's rules in place (10.96.0.1 -> the API server)"
  else echo "real-node services       kube-proxy's rules missing"; rc=1; fi
  return $rc
}

diagnose() {
  log "real node diagnostics (state in $NODE):"
  local c
  for c in "${COMPONENTS[@]}"; do
    printf '\n----- %s (pid %s, %s) -----\n' "$c" "$(pid_of "$c")" "$(alive "$c" && echo running || echo stopped)" >&2
    grep -v '^I[0-9]' "$NODE/$c.log" 2>/dev/null | tail -n 25 >&2 || true
  done
  printf '\n----- node %s -----\n' "$NODE_NAME" >&2
  admin describe node "$NODE_NAME" 2>/dev/null | sed -n '/^Conditions:/,/^Addresses:/p' >&2 || true
  admin get pods -A -o wide --field-selector "spec.nodeName=$NODE_NAME" >&2 2>/dev/null || true
  if [ -S "$SOCK" ]; then ctr_node tasks ls >&2 2>/dev/null || true; fi
}

cmd="${1:-}"; shift || true
case "$cmd" in
  up) up ;; down) down ;; status) status ;; diagnose) diagnose ;;
  images) images "$@" ;;
  apiserver-flags) apiserver_flags ;;
  prepare) prepare ;;
  *) echo "usage: hack/real-node.sh up | status | diagnose | images [IMAGE...] | down | apiserver-flags | prepare" >&2; exit 2 ;;
esac
