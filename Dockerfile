# The operator image. Three stages: `build` compiles TypeScript to dist/, `deps` installs production
# dependencies only, and the runtime stage copies both onto a clean base and runs as a non-root user.
# Base images are build args so the same file builds from upstream node images (CI) or a local base
# (hack/base-image.sh, where no registry can be pulled from).
#   docker build -t topo/operator:dev .        (or hack/operator-image.sh)
ARG BUILD_IMAGE=node:24-bookworm-slim
ARG RUNTIME_IMAGE=node:24-bookworm-slim

FROM ${BUILD_IMAGE} AS base
# npm 11.16+ rejects this project's own lockfile (npm/cli#9846): use the pinned npm in both install stages.
ARG NPM_VERSION=11.13.0
ENV NPM_CONFIG_UPDATE_NOTIFIER=false
RUN [ "$(npm --version)" = "$NPM_VERSION" ] || npm install --global --no-audit --no-fund "npm@$NPM_VERSION"
WORKDIR /src
COPY package.json package-lock.json .npmrc ./

FROM base AS build
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY operator/src ./operator/src
# `npm run build` wraps tsc in hack/node.sh (which installs Node into a cache); here Node 24 is the base.
# The dashboard's front end is built by Vite into dist/ beside the server that serves it.
RUN node node_modules/typescript/bin/tsc -p tsconfig.build.json \
 && node node_modules/vite/bin/vite.js build --config operator/src/dashboard/web/vite.config.ts \
 && mkdir -p dist/operator/src/dashboard/web \
 && cp -r operator/src/dashboard/web/dist dist/operator/src/dashboard/web/dist \
 && node dist/operator/src/cli/bin.js --help >/dev/null

FROM base AS deps
# Type declarations, source maps and docs are not needed to run: about half of node_modules.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && find node_modules -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' \
      -o -name '*.md' -o -name '*.markdown' \) -exec rm -f {} + \
 && rm -rf node_modules/.package-lock.json

FROM ${RUNTIME_IMAGE}
ARG VERSION=dev
ARG REVISION=unknown
ARG SOURCE=https://github.com/topo-dev/topo
ARG CREATED=1970-01-01T00:00:00Z
LABEL org.opencontainers.image.title="topo-operator" \
      org.opencontainers.image.description="Topo: runs a Topology (topo.dev/v1alpha1) on Kubernetes" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.created="${CREATED}"
ENV NODE_ENV=production
# Two malloc arenas rather than glibc's eight per core: the operator's native allocations (sockets, TLS,
# libuv's threads) stay in fewer, fuller arenas. bench:operator (which starts it with this ENV too) measured
# a lower peak RSS with it, one run each: 191 vs 199 MiB at 1,000 x 10, 134 vs 144 MiB at 200 x 10.
ENV MALLOC_ARENA_MAX=2
WORKDIR /app
COPY --from=deps /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./package.json
# `topo --version` reads package.json three directories above cli/main.js: dist/package.json once compiled.
COPY package.json ./dist/package.json
# Numeric, so `runAsNonRoot` can verify it; nothing is written at run time (read-only root fs works).
USER 65532:65532
EXPOSE 8081 8080
# Memory over speed: the operator waits on the API server, not on its CPU. A 1 MiB young generation, since
# its garbage is short-lived (API responses, watch events) and V8's default lets it pile up to ~100 MiB of
# resident memory between scavenges; --optimize-for-size grows the heap and code caches more slowly.
# bench:operator runs the operator with these flags and measures both.
ENTRYPOINT ["node", "--max-semi-space-size=1", "--optimize-for-size", "/app/dist/operator/src/cli/bin.js"]
CMD ["operator"]
