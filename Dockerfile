# One image for the API and the worker (the command picks which). Node 20 with build tools, because
# better-sqlite3 compiles its native module at install time.
FROM node:20-bookworm
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm install --omit=dev --no-audit --no-fund
COPY . .
EXPOSE 8080
CMD ["npx", "tsx", "api/main.ts"]
