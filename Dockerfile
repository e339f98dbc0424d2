# One image for the API and the worker (the command picks which). Node 20 with build tools, because
# better-sqlite3 compiles its native module at install time.

# The web app, built with the development dependencies (Vite, React, the OpenAPI type generator); only its
# static files reach the image.
FROM node:20-bookworm AS web
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund
COPY . .
RUN node tools/web.js

FROM node:20-bookworm
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm install --omit=dev --no-audit --no-fund
COPY . .
COPY --from=web /app/web/dist web/dist
EXPOSE 8080
CMD ["npx", "tsx", "api/main.ts"]
