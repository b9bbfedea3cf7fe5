#!/usr/bin/env bash
# Builds topo/node-base:24, a stand-in for node:24-bookworm-slim when no registry can be pulled from:
# FROM scratch with the cached Node 24 binary, the shared libraries `ldd` names and the dynamic loader,
# npm (pinned, from the same cache), CA certificates, a /tmp and Debian's static busybox for a shell.
# The build stage of the Dockerfile needs npm and a shell; the runtime stage only node. The CA bundle is this
# machine's (it may hold a TLS-intercepting egress proxy's CA), and Node is told to trust it too.
#   hack/base-image.sh            (prints the image name)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=hack/lib/versions.sh
source "$here/lib/versions.sh"
image="${TOPO_BASE_IMAGE:-topo/node-base:$NODE_MAJOR}"
log() { printf '[base-image] %s\n' "$*" >&2; }

[ -x /bin/busybox ] || { log "busybox-static is missing: run hack/docker.sh up (or apt-get install busybox-static)"; exit 1; }
node="$(readlink -f "$("$here/node.sh")/node")"
npm_dir="$TOPO_CACHE/node-$NODE_MAJOR-npm-$NPM_VERSION/node_modules/npm"
[ -f "$npm_dir/bin/npm-cli.js" ] || { log "npm $NPM_VERSION is missing at $npm_dir"; exit 1; }

ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/root/usr/local/bin" "$ctx/root/usr/local/lib/node_modules" "$ctx/root/bin" \
  "$ctx/root/etc/ssl/certs" "$ctx/root/tmp" "$ctx/root/root" "$ctx/root/home/nonroot"
cp "$node" "$ctx/root/usr/local/bin/node"
cp -a "$npm_dir" "$ctx/root/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$ctx/root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$ctx/root/usr/local/bin/npx"
cp /bin/busybox "$ctx/root/bin/busybox"
# Every library the binary links, at the path the loader looks for it (dereferenced: no symlinks into /usr).
libs="$(ldd "$node" | awk '/=> \//{print $3} /^\t\/[^ ]+ \(/{print $1}')"
# Plus glibc's compatibility libraries that node:*-slim has and native addons link (Vite's rolldown
# binding needs librt), so the build stage of the Dockerfile runs on this base as on the upstream one.
libdir="$(dirname "$(printf '%s\n' "$libs" | grep '/libc\.so\.6$')")"
for name in libdl.so.2 librt.so.1 libpthread.so.0 libutil.so.1 libresolv.so.2; do
  [ -e "$libdir/$name" ] && libs="$libs"$'\n'"$libdir/$name"
done
printf '%s\n' "$libs" | sort -u | while read -r lib; do
  mkdir -p "$ctx/root$(dirname "$lib")"
  cp -L "$lib" "$ctx/root$lib"
done
cp -L /etc/ssl/certs/ca-certificates.crt "$ctx/root/etc/ssl/certs/ca-certificates.crt"
printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'nonroot:x:65532:65532:nonroot:/home/nonroot:/bin/false' \
  'nobody:x:65534:65534:nobody:/:/bin/false' >"$ctx/root/etc/passwd"
printf '%s\n' 'root:x:0:' 'nonroot:x:65532:' 'nogroup:x:65534:' >"$ctx/root/etc/group"
printf 'hosts: files dns\n' >"$ctx/root/etc/nsswitch.conf"
chmod 1777 "$ctx/root/tmp"
chown -R 65532:65532 "$ctx/root/home/nonroot"

cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM scratch
COPY root/ /
RUN ["/bin/busybox", "sh", "-c", "mkdir -p /sbin /usr/bin /usr/sbin && /bin/busybox --install -s"]
ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin \\
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \\
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
LABEL org.opencontainers.image.title="node-base" \\
      org.opencontainers.image.description="Node $("$node" --version) and npm $NPM_VERSION from scratch (local stand-in for node:$NODE_MAJOR-bookworm-slim)"
CMD ["node"]
DOCKERFILE
docker build -q -t "$image" "$ctx" >/dev/null
log "built $image ($(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}'))"
echo "$image"
