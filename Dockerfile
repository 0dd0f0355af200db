# syntax=docker/dockerfile:1

# One image for both Leadflow processes. The default command is the HTTP API; the worker runs the same
# image with `node dist/worker/main.js` (see docker-compose.yml). Both need DATABASE_URL (PostgreSQL):
# the embedded PGlite database is for `npm start` on a laptop only.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: compile TypeScript and prebundle the workflow code (dist/workflow-bundle.js) -------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# npm ci first. It refuses a package-lock.json that lacks other platforms' optional native packages
# (@swc/core-*, …; see .ci/run): then install exactly the locked versions with npm install instead.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund \
    || { echo "npm ci refused package-lock.json; installing the locked versions with npm install"; \
         npm install --no-audit --no-fund --no-save; }
COPY . .
RUN npm run build && test -f dist/workflow-bundle.js && test -f dist/api/main.js && test -f dist/worker/main.js

# ---- production dependencies only ------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no install script is needed at runtime (the Temporal core bridge ships prebuilt
# binaries, and swc is not loaded because the workflow bundle is prebuilt), and it skips telemetry hooks.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
    || npm install --omit=dev --ignore-scripts --no-audit --no-fund --no-save

# ---- runtime -------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# The files stay owned by root: the processes only read them.
USER node
EXPOSE 3000
CMD ["node", "dist/api/main.js"]
