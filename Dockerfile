# One image for the API and the worker (the command picks which): compiled JavaScript run by plain Node as
# an unprivileged user, with the production dependencies only. What the build may read is an allowlist
# (.dockerignore): no .env, key or database file reaches any layer.

# `npm ci` installs exactly the lock and fails when package.json and the lock disagree. It refuses this
# lock as npm writes it, on every platform (it lists @swc/core's other-platform binaries without entries
# for them); tools/lock-for-ci.js drops those dangling optional names, and nothing else, first.

# Build: every dependency (TypeScript, Vite, the OpenAPI type generator), the web app's static files and the
# engine compiled to dist/. Node 20 with build tools, because better-sqlite3 may compile its native module.
FROM node:20-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY tools/lock-for-ci.js tools/
RUN node tools/lock-for-ci.js && npm ci --no-audit --no-fund
COPY . .
RUN node tools/web.js && npm run build

# The production dependencies alone, installed the same way.
FROM node:20-bookworm AS production-dependencies
WORKDIR /app
COPY package.json package-lock.json ./
COPY tools/lock-for-ci.js tools/
RUN node tools/lock-for-ci.js && npm ci --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps
# Root owns the code, so the process cannot rewrite it; var/ (local state, unused on PostgreSQL) is the
# unprivileged user's.
COPY package.json ./
COPY --from=production-dependencies /app/node_modules node_modules
COPY --from=build /app/dist dist
# The API serves the web app from web/dist beside its compiled code (api/pages/web-app.ts).
COPY --from=build /app/web/dist dist/web/dist
RUN mkdir var && chown node:node var
USER node
EXPOSE 8080
# The worker: node dist/worker/main.js (it bundles dist/workflows at start). One-off commands:
# node dist/db/migrate.js, node dist/tools/verify.js, node dist/tools/byok-rotate.js.
CMD ["node", "dist/api/main.js"]
