#!/usr/bin/env node
'use strict';
/**
 * The two quick-start commands (`npm run dev`, `npm test`), `npm run cluster`, `npm run chaos` and
 * `npm run token` start here. Plain Node with no dependencies: it first installs what the project needs
 * (npm packages, the Temporal CLI and server, the Java test server, PostgreSQL for tests), each step
 * skipped when already done, then hands over.
 */
const { execFileSync, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const log = (msg) => console.error(`[setup] ${msg}`);

function ensureNodeModules() {
  const lock = path.join(root, 'package-lock.json');
  const stamp = path.join(root, 'node_modules', '.billing-engine-installed');
  const hashOf = () => crypto.createHash('sha256').update(fs.readFileSync(lock)).digest('hex');
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === hashOf()) return;
  // `npm install`, not `npm ci`: the lock omits other platforms' optional binaries (of @swc/core), which
  // `npm ci` wrongly treats as out of sync; install still follows the lock for everything it lists.
  log('Installing npm dependencies…');
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: root,
    stdio: 'inherit',
  });
  fs.writeFileSync(stamp, hashOf());
}

function bin(name) {
  return path.join(root, 'node_modules', '.bin', name);
}

function run(cmd, args, env = process.env) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env });
  if (r.signal) process.kill(process.pid, r.signal);
  if (r.status !== 0) process.exit(r.status ?? 1);
}

async function main() {
  const [command, ...rest] = process.argv.slice(2);
  ensureNodeModules();
  const env = { ...process.env };
  // The engine runs as production unless told otherwise; these two commands are for a developer's machine.
  if (command === 'dev' || command === 'token') env.NODE_ENV ||= 'development';
  // The web app's development sign-in (loopback callers only); the engine refuses it in production.
  if (command === 'dev' && env.NODE_ENV !== 'production') env.DEV_SIGN_IN ||= 'true';
  if (command === 'token') return run(bin('tsx'), ['tools/token.ts', ...rest], env);

  const { ensureTemporalCli } = require('./temporal-cli');
  // The web app the API serves at / (types generated from the routes, type-checked, bundled); quick when
  // nothing it reads has changed.
  const onCluster = command === 'cluster' || command === 'chaos';
  if (command === 'dev' || command === 'test' || onCluster) require('./web').ensureWebBuild({ log });
  if (onCluster) {
    require('./postgres').ensurePostgres({ log });
    require('./nginx').ensureNginx({ log });
    ensureTemporalCli({ log });
    require('./temporal-server').ensureTemporalTools({ log });
    const main = command === 'cluster' ? 'tools/cluster/main.ts' : 'tools/chaos/main.ts';
    return run(bin('tsx'), [main, ...rest], env);
  }
  if (command === 'dev') {
    if (!process.env.TEMPORAL_ADDRESS) env.TEMPORAL_CLI_PATH = ensureTemporalCli({ log });
    return run(bin('tsx'), ['tools/dev.ts', ...rest], env);
  }
  if (command === 'test') {
    env.TEMPORAL_CLI_PATH = ensureTemporalCli({ log });
    // After the CLI: it reuses the CLI build's compiled packages.
    // The server, its SQL tool and its UI: the production topology's test runs all three.
    env.TEMPORAL_SERVER_PATH = require('./temporal-server').ensureTemporalTools({ log }).server;
    env.TEMPORAL_TEST_SERVER_PATH = await require('./temporal-test-server/ensure').ensureTestServer({ log });
    env.STRIPE_MOCK_PATH = require('./stripe-mock').ensureStripeMock({ log });
    await require('./keycloak').ensureKeycloak({ log });
    require('./postgres').ensurePostgres({ log });
    require('./nginx').ensureNginx({ log });
    env.CHROMIUM_PATH = require('./chromium').ensureChromium({ log });
    const started = Date.now();
    const step = (name, cmd, args) => {
      log(`${name}…`);
      run(cmd, args, env);
    };
    step('Type check (tsc --noEmit)', bin('tsc'), ['--noEmit', '-p', '.']);
    step('Lint (eslint)', bin('eslint'), ['.', '--max-warnings=0']);
    // Type-only imports count: a cycle of types still ties two folders' designs together.
    step('Import cycles (madge --circular)', bin('madge'), [
      '--circular',
      '--extensions',
      'ts',
      '--ts-config',
      'tsconfig.json',
      '--no-spinner',
      ...[
        'api',
        'activities',
        'workflows',
        'domain',
        'db',
        'integrations',
        'config',
        'worker',
        'services',
        'tools',
        'bench',
        'telemetry',
        'test',
      ],
    ]);
    step('Nothing outside api/ reaches api/ (madge)', process.execPath, [
      path.join(root, 'tools', 'check-layers.js'),
    ]);
    step('Format (prettier --check)', bin('prettier'), ['--check', '.', '--log-level=warn']);
    // The whole suite shares one Keycloak (test/helpers/keycloak.ts); a run of chosen files starts its own.
    if (rest.every((arg) => arg.startsWith('-'))) env.TEST_SHARED_KEYCLOAK ??= '1';
    step('Tests (jest)', bin('jest'), ['--ci', ...rest]);
    log(`all green in ${Math.round((Date.now() - started) / 1000)} s`);
    return;
  }
  console.error('usage: node tools/run.js dev|test|token [args]');
  process.exit(2);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
