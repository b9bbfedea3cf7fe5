#!/usr/bin/env bash
# A real PostgreSQL server for the history store's tests (Debian's postgresql-$POSTGRES_MAJOR), never
# installed into the system: its packages are fetched with `apt-get download` and unpacked with `dpkg -x`
# into $TOPO_CACHE/postgres-<version> (the version pinned in hack/lib/versions.sh), with the libraries
# the machine lacks beside them. The server listens on 127.0.0.1 and a socket in its own directory.
#   hack/postgres.sh up       unpack (once), initdb (once), start if stopped; prints the connection URL
#   hack/postgres.sh stop     stop the server (fast shutdown), keeping its data; `up` starts it again
#   hack/postgres.sh status   running or stopped, and the URL
#   hack/postgres.sh url      the connection URL only
#   hack/postgres.sh down     stop it and delete its data directory
# TOPO_POSTGRES_DIR (default ~/.local/state/topo/postgres) and TOPO_POSTGRES_PORT (55432) make a second,
# private server beside the first (the e2e test that stops the database starts its own).
# PostgreSQL refuses to run as root: as root the server runs in a user namespace as uid 65534 mapped
# to root (`unshare --user`), so it reads the cache under a mode-0700 home and its files stay root's.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=hack/lib/versions.sh
source "$here/lib/versions.sh"

DIR="${TOPO_POSTGRES_DIR:-$HOME/.local/state/topo/postgres}"
PORT="${TOPO_POSTGRES_PORT:-55432}"
URL="postgres://topo@127.0.0.1:$PORT/topo"
# Shared libraries postgres links that a slim Debian may lack; each is fetched only when not installed.
LIB_PACKAGES="libpq5 libicu72 libxml2 libxslt1.1 liblz4-1 libzstd1 libldap-2.5-0 libsasl2-2 libgssapi-krb5-2 libkrb5-3 libk5crypto3 libkrb5support0 libkeyutils1 libssl3"
log() { printf '[postgres] %s\n' "$*" >&2; }

# Runs a command as a non-root user: itself when not root, else uid 65534 in a user namespace.
as_user() {
  if [ "$(id -u)" -ne 0 ]; then "$@"; else unshare --user --map-user=65534 --map-group=65534 "$@"; fi
}

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }

candidate() { apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}'; }

# Fetches the pinned server; when the archive no longer serves it, the candidate of the same major; when
# the sources have no postgresql-$POSTGRES_MAJOR at all (another distribution), their newest major.
install() {
  if [ -e "$TOPO_CACHE/postgres-$POSTGRES_VERSION/.complete" ]; then
    ROOT="$TOPO_CACHE/postgres-$POSTGRES_VERSION"
    POSTGRES_MAJOR="$(cat "$ROOT/.major")"
    return 0
  fi
  local version="$POSTGRES_VERSION" tmp
  if ! apt-cache madison "postgresql-$POSTGRES_MAJOR" 2>/dev/null | grep -q " $version "; then
    apt-get update >&2 || true
  fi
  if ! apt-cache madison "postgresql-$POSTGRES_MAJOR" 2>/dev/null | grep -q " $version "; then
    version="$(candidate "postgresql-$POSTGRES_MAJOR")"
    if [ -z "$version" ] || [ "$version" = "(none)" ]; then
      POSTGRES_MAJOR="$(apt-cache pkgnames postgresql- | grep -E '^postgresql-[0-9]+$' | sed 's/^postgresql-//' | sort -n | tail -1)"
      [ -n "$POSTGRES_MAJOR" ] || { log "the apt sources have no postgresql-NN package"; exit 1; }
      version="$(candidate "postgresql-$POSTGRES_MAJOR")"
    fi
    log "the archive does not serve $POSTGRES_VERSION; using postgresql-$POSTGRES_MAJOR $version (bump POSTGRES_VERSION in hack/lib/versions.sh)"
  fi
  ROOT="$TOPO_CACHE/postgres-$version"
  [ -e "$ROOT/.complete" ] && return 0
  log "fetching postgresql-$POSTGRES_MAJOR $version from Debian into $ROOT"
  tmp="$(mktemp -d)"
  local pkgs=("postgresql-$POSTGRES_MAJOR=$version" "postgresql-client-$POSTGRES_MAJOR=$version") p
  # Libraries another distribution names otherwise are left to it (they are installed there already).
  for p in $LIB_PACKAGES; do installed "$p" || ! apt-cache show "$p" >/dev/null 2>&1 || pkgs+=("$p"); done
  chmod 755 "$tmp" # apt downloads as _apt when it can
  (cd "$tmp" && apt-get download "${pkgs[@]}" >&2)
  rm -rf "$ROOT" && mkdir -p "$ROOT"
  for p in "$tmp"/*.deb; do dpkg -x "$p" "$ROOT"; done
  rm -rf "$tmp"
  echo "$POSTGRES_MAJOR" >"$ROOT/.major"
  touch "$ROOT/.complete"
}

bin() { echo "$ROOT/usr/lib/postgresql/$POSTGRES_MAJOR/bin"; }
pgctl() {
  LD_LIBRARY_PATH="$ROOT/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" as_user "$(bin)/pg_ctl" -D "$DIR/data" "$@"
}
running() { [ -e "$DIR/data/postmaster.pid" ] && pgctl status >/dev/null 2>&1; }

up() {
  install
  mkdir -p "$DIR"
  if [ ! -e "$DIR/data/PG_VERSION" ]; then
    log "initdb in $DIR/data"
    rm -rf "$DIR/data"
    LD_LIBRARY_PATH="$ROOT/usr/lib/x86_64-linux-gnu" as_user "$(bin)/initdb" -D "$DIR/data" -U topo \
      --auth=trust -E UTF8 --no-locale >"$DIR/initdb.log" 2>&1 || { cat "$DIR/initdb.log" >&2; exit 1; }
    printf 'CREATE DATABASE topo;\n' >"$DIR/create.sql"
  fi
  if ! running; then
    log "starting on 127.0.0.1:$PORT (log $DIR/server.log)"
    # setsid: the server outlives the shell (and the test) that started it. fsync off: test data only.
    setsid bash -c "$(declare -f as_user pgctl bin); ROOT='$ROOT' DIR='$DIR' POSTGRES_MAJOR='$POSTGRES_MAJOR' \
      pgctl -w -t 60 -l '$DIR/server.log' -o \"-p $PORT -k '$DIR' -c listen_addresses=127.0.0.1 -c fsync=off -c jit=off\" start" \
      >/dev/null 2>&1 </dev/null || { tail -20 "$DIR/server.log" >&2; exit 1; }
  fi
  if [ -e "$DIR/create.sql" ]; then
    LD_LIBRARY_PATH="$ROOT/usr/lib/x86_64-linux-gnu" "$(bin)/psql" -h 127.0.0.1 -p "$PORT" -U topo -d postgres \
      -q -v ON_ERROR_STOP=1 -f "$DIR/create.sql" >&2
    rm -f "$DIR/create.sql"
  fi
  echo "$URL"
}

stop() {
  install
  if running; then log "stopping"; pgctl -w -m fast stop >/dev/null; fi
}

case "${1:-}" in
up) up ;;
stop) stop ;;
status) install; if running; then echo "running $URL"; else echo "stopped $URL"; fi ;;
url) echo "$URL" ;;
down) stop; rm -rf "$DIR" ;;
*) echo "usage: hack/postgres.sh up|stop|status|url|down" >&2; exit 2 ;;
esac
