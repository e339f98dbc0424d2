#!/usr/bin/env node
'use strict';
/**
 * Nothing outside api/ reaches the API, not even through other modules. ESLint sees one file's imports at
 * a time; this follows every import (type-only and dynamic ones included, and through test helpers) from
 * each file of the other folders, and fails on any chain that ends in api/. Tests may import the API (they
 * test it), so a test file is a way through, not a starting point: a benchmark or a tool importing a test
 * helper that builds the app is caught.
 */
const path = require('node:path');
const madge = require('madge');

const root = path.resolve(__dirname, '..');
const BELOW_THE_API = [
  'activities',
  'bench',
  'config',
  'db',
  'domain',
  'integrations',
  'services',
  'telemetry',
  'tools',
  'worker',
  'workflows',
];
const inFolder = (file, folder) => file.startsWith(`${folder}/`);

async function main() {
  const result = await madge(
    [...BELOW_THE_API, 'api', 'test'].map((f) => path.join(root, f)),
    { baseDir: root, fileExtensions: ['ts'], tsConfig: path.join(root, 'tsconfig.json') },
  );
  const graph = result.obj();
  const chains = [];
  for (const start of Object.keys(graph)) {
    if (!BELOW_THE_API.some((f) => inFolder(start, f))) continue;
    // Breadth first, so the chain reported is a shortest one.
    const cameFrom = new Map([[start, null]]);
    const queue = [start];
    let reached = null;
    while (queue.length > 0 && !reached) {
      const file = queue.shift();
      for (const next of graph[file] ?? []) {
        if (cameFrom.has(next)) continue;
        cameFrom.set(next, file);
        if (inFolder(next, 'api')) {
          reached = next;
          break;
        }
        queue.push(next);
      }
    }
    if (!reached) continue;
    const chain = [];
    for (let f = reached; f !== null; f = cameFrom.get(f)) chain.unshift(f);
    chains.push(chain.join(' → '));
  }
  if (chains.length > 0) {
    console.error(`Nothing outside api/ imports the API, but these do (through the files between):`);
    for (const chain of chains) console.error(`  ${chain}`);
    process.exit(1);
  }
  console.error(`No file outside api/ and test/ reaches api/ (${Object.keys(graph).length} files followed).`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
