'use strict';
/**
 * Builds the web app (web/) into web/dist, which the API serves at /. Steps: the OpenAPI document the API
 * serves (api/openapi-cli.ts) → TypeScript types (openapi-typescript) → type check (tsc -p web) → Vite
 * build. A changed route changes the types, so a page that uses it wrongly fails here, not in a browser.
 * Skipped when nothing it reads has changed since the last build (a stamp in web/dist).
 *   node tools/web.js [--force]
 */
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const web = path.join(root, 'web');
const dist = path.join(web, 'dist');
const generated = path.join(web, '.generated');
const stampFile = path.join(dist, '.build-stamp');
const typesFile = path.join(web, 'src', 'api', 'openapi.gen.ts');
const SKIP = new Set(['dist', '.generated', 'node_modules']);

const bin = (name) => path.join(root, 'node_modules', '.bin', name);

function filesUnder(dir, out = []) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name) || entry.name === path.basename(typesFile)) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) filesUnder(full, out);
    else out.push(full);
  }
  return out.sort();
}

function inputsHash(openapiJson) {
  const hash = crypto.createHash('sha256').update(openapiJson);
  for (const file of [...filesUnder(web), path.join(root, 'package-lock.json')]) {
    hash.update(path.relative(root, file)).update('\0').update(fs.readFileSync(file));
  }
  return hash.digest('hex');
}

function exec(cmd, args) {
  execFileSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
}

/** Generates the client's types from the routes and builds web/dist unless it is up to date. */
function ensureWebBuild({ log = console.error, force = false } = {}) {
  fs.mkdirSync(generated, { recursive: true });
  const openapiFile = path.join(generated, 'openapi.json');
  exec(bin('tsx'), ['api/openapi-cli.ts', '--out', openapiFile]);
  const openapiJson = fs.readFileSync(openapiFile);
  const hash = inputsHash(openapiJson);
  const built =
    fs.existsSync(stampFile) && fs.existsSync(typesFile) && fs.readFileSync(stampFile, 'utf8') === hash;
  if (built && !force) return dist;
  log('Building the web app (web/)…');
  exec(bin('openapi-typescript'), [openapiFile, '--output', typesFile, '--silent']);
  exec(bin('tsc'), ['--noEmit', '-p', 'web']);
  exec(bin('vite'), ['build', '--config', 'web/vite.config.mts', '--logLevel', 'warn']);
  fs.writeFileSync(stampFile, hash);
  return dist;
}

module.exports = { ensureWebBuild };

if (require.main === module) {
  try {
    ensureWebBuild({ force: process.argv.includes('--force') });
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
