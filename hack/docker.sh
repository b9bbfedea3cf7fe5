#!/usr/bin/env bash
# A Docker engine for the Compose path and the image builds.
#   hack/docker.sh up       use the engine that answers, or install Debian's docker.io and start dockerd
#   hack/docker.sh status   report the engine and both Compose versions
#   hack/docker.sh down     stop dockerd only if `up` started it
#   hack/docker.sh private up DIR [IMAGE...]   a second, private engine for tests that stop or restart one
#                                              (the shared engine is never touched): its own data root, exec
#                                              root, pid file and socket in DIR, and its own network namespace
#                                              (its docker0, networks and iptables rules stay there: a dockerd
#                                              restarted on the host deletes the host's docker0, the shared
#                                              engine's); the local IMAGEs copied into it from the shared
#                                              engine; prints its DOCKER_HOST
#   hack/docker.sh private stop DIR            SIGTERM, as a service manager stops it; `private up` restarts it
#                                              on the same data
#   hack/docker.sh private rm DIR              stop it, delete its network namespace and DIR
# A private engine's containers reach each other but not the host's network (no published ports there).
# Compose v1 is Debian's docker-compose 1.29; Compose v2 is the CLI plugin built from Go modules and
# installed into ~/.docker/cli-plugins, so `docker compose` and `docker-compose` are both available.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=hack/lib/versions.sh
source "$here/lib/versions.sh"

# Its own state dir, never TOPO_STATE_DIR (`topo up`'s state).
STATE="${TOPO_DOCKER_DIR:-$HOME/.local/state/topo/docker}"
# Many small networks per test run: a large pool of /24s so the engine never runs out.
POOL="${TOPO_DOCKER_ADDRESS_POOL:-base=10.210.0.0/16,size=24}"
log() { printf '[docker] %s\n' "$*" >&2; }
answers() { timeout 10 docker info >/dev/null 2>&1; }

apt_install() {
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v docker-compose >/dev/null || missing+=(docker-compose)
  [ -x /bin/busybox ] && /bin/busybox --list 2>/dev/null | grep -qx wget || missing+=(busybox-static)
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]} from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "${missing[@]}" >&2 ||
    { apt-get update >&2 && apt-get install -y --no-install-recommends "${missing[@]}" >&2; }
}

compose_plugin() {
  "$here/build-binaries.sh" compose
  local plugin_dir="${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins"
  mkdir -p "$plugin_dir"
  ln -sf "$TOPO_CACHE/bin/compose-$COMPOSE_VERSION/docker-compose" "$plugin_dir/docker-compose"
}

up() {
  apt_install
  compose_plugin
  if answers; then
    log "engine already answers; using it"
    return 0
  fi
  mkdir -p "$STATE"
  log "starting dockerd (data in $STATE, log $STATE/dockerd.log)"
  # setsid: the engine must outlive the shell (and the CI step) that started it.
  setsid dockerd --data-root "$STATE/data" --exec-root "$STATE/exec" --pidfile "$STATE/dockerd.pid" \
    --default-address-pool "$POOL" >"$STATE/dockerd.log" 2>&1 </dev/null &
  echo $! >"$STATE/started.pid"
  for _ in $(seq 1 120); do
    answers && { log "engine ready ($(docker version --format '{{.Server.Version}}'))"; return 0; }
    sleep 0.5
  done
  log "dockerd did not answer within 60 s; last lines of its log:"
  tail -n 40 "$STATE/dockerd.log" >&2 || true
  exit 1
}

down() {
  local pid
  pid="$(cat "$STATE/started.pid" 2>/dev/null || true)"
  if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
    log "no engine started by this script is running"
    rm -f "$STATE/started.pid"
    return 0
  fi
  log "stopping dockerd (pid $pid)"
  kill "$pid"
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  rm -f "$STATE/started.pid"
}

# The private engine: nothing it does may reach the shared one's networks or firewall rules.
private_host() { echo "unix://$1/docker.sock"; }
# One network namespace per private engine directory.
private_netns() { echo "topo-engine-$(printf '%s' "$1" | md5sum | cut -c1-8)"; }
private_answers() { DOCKER_HOST="$(private_host "$1")" timeout 10 docker info >/dev/null 2>&1; }
private_pid() { cat "$1/dockerd.pid" 2>/dev/null || true; }

private_up() {
  local dir="${1:?private up DIR}"
  shift
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  local host
  host="$(private_host "$dir")"
  if ! private_answers "$dir"; then
    # An empty config file: the machine's /etc/docker/daemon.json (hosts, pools...) is the shared engine's.
    [ -f "$dir/daemon.json" ] || echo '{}' >"$dir/daemon.json"
    local netns
    netns="$(private_netns "$dir")"
    if ! ip netns list | grep -qw "$netns"; then
      ip netns add "$netns"
      ip netns exec "$netns" ip link set lo up
    fi
    log "starting a private dockerd in $dir (network namespace $netns, log $dir/dockerd.log)"
    # Only the network namespace (`ip netns exec` would remount /sys, cgroups and all); the socket is a
    # file, which the host's docker CLI reaches from any network namespace.
    setsid nsenter --net="/var/run/netns/$netns" dockerd --config-file "$dir/daemon.json" \
      --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$dir/dockerd.pid" -H "$host" \
      --cgroup-parent /topo-private --shutdown-timeout 5 >>"$dir/dockerd.log" 2>&1 </dev/null &
    local ok=""
    for _ in $(seq 1 120); do
      private_answers "$dir" && { ok=1; break; }
      sleep 0.5
    done
    if [ -z "$ok" ]; then
      log "the private dockerd did not answer within 60 s; last lines of its log:"
      tail -n 40 "$dir/dockerd.log" >&2 || true
      exit 1
    fi
  fi
  local image
  for image in "$@"; do
    DOCKER_HOST="$host" docker image inspect "$image" >/dev/null 2>&1 && continue
    docker image inspect "$image" >/dev/null 2>&1 ||
      { log "$image is not in the shared engine: run hack/images.sh"; exit 1; }
    docker save "$image" | DOCKER_HOST="$host" docker load -q >&2
  done
  echo "$host"
}

private_stop() {
  local dir="${1:?private stop DIR}" pid
  pid="$(private_pid "$dir")"
  if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then return 0; fi
  kill -TERM "$pid"
  for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.5; done
  log "the private dockerd (pid $pid) did not stop within 60 s"
  exit 1
}

private_rm() {
  local dir="${1:?private rm DIR}"
  [ -d "$dir" ] || return 0
  dir="$(cd "$dir" && pwd)"
  private_stop "$dir"
  local netns m
  netns="$(private_netns "$dir")"
  if ip netns list | grep -qw "$netns"; then ip netns delete "$netns"; fi
  # What the engine left mounted under DIR (layers, network namespaces) goes before the files do.
  awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null || true; done
  rm -rf "$dir"
}

private() {
  local cmd="${1:-}"
  shift || true
  case "$cmd" in
    up) private_up "$@" ;; stop) private_stop "$@" ;; rm) private_rm "$@" ;;
    *) echo "usage: $0 private up DIR [IMAGE...] | stop DIR | rm DIR" >&2; exit 2 ;;
  esac
}

status() {
  if answers; then echo "engine: running ($(docker version --format '{{.Server.Version}}'))"; else echo "engine: not answering"; fi
  echo "compose v2: $(docker compose version --short 2>/dev/null || echo missing)"
  echo "compose v1: $(docker-compose version --short 2>/dev/null || echo missing)"
}

case "${1:-}" in
  up) up ;; down) down ;; status) status ;;
  private) shift; private "$@" ;;
  *) echo "usage: $0 up|down|status|private" >&2; exit 2 ;;
esac
