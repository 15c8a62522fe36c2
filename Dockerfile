# One image per service, all from this file:
#   docker build --build-arg SERVICE=acquisition -t pump-pdm/acquisition .
# (docker-compose.yml does this for every service). SERVICE is a folder under services/.
#
# The build stage installs the whole workspace from the lockfile, bundles the dashboard's page, and deploys
# every service (but demo) into /out/<service> with its production dependencies only; it has no SERVICE
# argument, so BuildKit builds it once for all images (and a builder without BuildKit, such as Podman's,
# takes it from its layer cache after the first). The runtime stage copies one of them onto the slim image
# and runs it as `node`.

# Node 24 LTS, the Node .ci/run tests on (it reads the version from this line); both stages on Debian
# bookworm, so that the native addons compiled in the build stage (better-sqlite3) load in the runtime stage.
ARG NODE_VERSION=24.22.3

FROM node:${NODE_VERSION}-bookworm AS build
# The exact pnpm of package.json's packageManager, so that pnpm never fetches another version of itself.
ARG PNPM_VERSION=10.34.9
# better-sqlite3 compiles its addon when no prebuilt binary can be downloaded.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/* \
 && npm install -g pnpm@${PNPM_VERSION}
# onnxruntime-node's CPU binary ships in its tarball; its install script would only fetch CUDA parts
# (it is also in pnpm-workspace.yaml's ignoredBuiltDependencies).
ENV ONNXRUNTIME_NODE_INSTALL=skip CI=true
WORKDIR /src

# Dependencies from the lockfile alone, so this layer is reused until the lockfile changes.
COPY pnpm-lock.yaml pnpm-workspace.yaml ./
RUN pnpm fetch

COPY . .
RUN pnpm install --frozen-lockfile --offline
# The dashboard's page, bundled by esbuild (a devDependency, so it exists in this stage only) into
# services/dashboard/dist/web, which `pnpm deploy` below copies with the rest of that package: into the
# dashboard's image, and no other. The page's sources (web/) are left out of that image: the dashboard
# rebuilds the bundle on start where they are newer than it, as in a dev checkout, and the copies that
# `pnpm deploy` makes are newer; without esbuild that would only fail, at every start.
RUN pnpm --filter @pdm/dashboard build

# Every folder under services/ but demo is deployed as /out/<folder>, the package @pdm/<folder>, with its
# production dependencies only. (The demo starts the other services from their source folders, so it runs
# from a checkout, never from an image; docker-compose.yml has no demo.) `pnpm deploy` (pnpm 10) takes their
# versions from the shared lockfile, frozen, only with injected workspace packages. The setting is given to deploy alone: set in pnpm-workspace.yaml it would
# change the lockfile and make every workspace package a copy in node_modules during development. The
# workspace packages' exports point at ./src/index.ts, so the copies carry their TypeScript sources, which
# tsx runs.
RUN set -e; \
    for dir in services/*/; do \
      service="$(basename "$dir")"; \
      [ "$service" != demo ] || continue; \
      pnpm --filter "@pdm/${service}" deploy --prod --offline --config.inject-workspace-packages=true "/out/${service}"; \
    done; \
    test -f /out/dashboard/dist/web/index.html || { echo 'the dashboard image would have no page' >&2; exit 1; }; \
    rm -rf /out/dashboard/web
# onnxruntime-node carries binaries for every platform; keep this one's (about 220 MB less).
RUN for bin in /out/*/node_modules/.pnpm/onnxruntime-node@*/node_modules/onnxruntime-node/bin/napi-v*; do \
      [ -d "$bin" ] || continue; \
      find "$bin" -mindepth 1 -maxdepth 1 ! -name linux -exec rm -rf {} +; \
      find "$bin/linux" -mindepth 1 -maxdepth 1 ! -name "$(node -p process.arch)" -exec rm -rf {} +; \
    done

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ARG SERVICE
RUN test -n "${SERVICE}" || { echo 'build with --build-arg SERVICE=<folder under services/>' >&2; exit 1; }
ENV NODE_ENV=production
WORKDIR /app
# The code belongs to root and is read-only to the service; only the data folders are its own.
COPY --from=build /out/${SERVICE}/ ./
RUN mkdir -p data models predictions && chown node:node data models predictions
USER node
# node itself is PID 1 and gets SIGTERM from `docker stop` directly: the services shut down in order on
# SIGINT and SIGTERM, and start no child processes. tsx runs inside that process as a loader.
# ENTRYPOINT rather than CMD, so that `docker compose run --rm training-simulator --pumps 100` passes flags.
ENTRYPOINT ["node", "--import", "tsx", "src/main.ts"]
CMD []
