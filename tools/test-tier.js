#!/usr/bin/env node
'use strict';
/** `npm run test:integration` / `test:system`: jest on one tier's folders (test/tiers.js). */
const { spawnSync } = require('node:child_process');
const { readdirSync } = require('node:fs');
const path = require('node:path');
const { tierOf } = require('../test/tiers');

const root = path.resolve(__dirname, '..');
const tier = process.argv[2];
if (tier !== 'integration' && tier !== 'system') {
  console.error('usage: node tools/test-tier.js integration|system [jest args]');
  process.exit(2);
}
const folders = readdirSync(path.join(root, 'test'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && d.name !== 'helpers' && tierOf(`test/${d.name}/x.test.ts`) === tier)
  .map((d) => `<rootDir>/test/${d.name}/`);
// The packages' own tests (the gateway client's) run against the engine's API: integration.
if (tier === 'integration') folders.push('<rootDir>/packages/');
const jest = path.join(root, 'node_modules', '.bin', 'jest');
// A tier's Keycloak suites share one Keycloak, as the whole suite's do (test/helpers/keycloak.ts).
const r = spawnSync(jest, ['--ci', '--roots', ...folders, ...process.argv.slice(3)], {
  cwd: root,
  stdio: 'inherit',
  env: { TEST_SHARED_KEYCLOAK: '1', ...process.env },
});
process.exit(r.status ?? 1);
