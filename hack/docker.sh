#!/usr/bin/env bash
# A Docker engine for the Compose path and the image builds.
#   hack/docker.sh up       use the engine that answers, or install Debian's docker.io and start dockerd
#   hack/docker.sh status   report the engine and both Compose versions
#   hack/docker.sh down     stop dockerd only if `up` started it
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

status() {
  if answers; then echo "engine: running ($(docker version --format '{{.Server.Version}}'))"; else echo "engine: not answering"; fi
  echo "compose v2: $(docker compose version --short 2>/dev/null || echo missing)"
  echo "compose v1: $(docker-compose version --short 2>/dev/null || echo missing)"
}

case "${1:-}" in
  up) up ;; down) down ;; status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
