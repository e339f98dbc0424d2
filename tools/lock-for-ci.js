#!/usr/bin/env node
'use strict';
/**
 * Lets `npm ci` install exactly package-lock.json (the image build runs it before `npm ci`).
 *
 * The lock lists @swc/core's binaries for other platforms (darwin, win32, linux on arm, ppc64, s390x) among
 * its optional dependencies but, as `npm install` writes it, holds no entries for them. `npm ci` then
 * refuses the lock on every platform, linux/amd64 included ("Missing: @swc/core-darwin-arm64@ from lock
 * file"), although nothing it would install is missing. This drops, from the lock's own copy of each
 * manifest, the optional dependencies the lock has no entry for — and only those: a missing required
 * dependency, or an optional one that is not a platform binary, still stops the build.
 *   node tools/lock-for-ci.js [package-lock.json]
 */
const fs = require('node:fs');
const path = require('node:path');

/** The entry a package at `location` would resolve `name` to, walking up node_modules as Node does. */
function resolves(packages, location, name) {
  let base = location;
  for (;;) {
    if (packages[base ? `${base}/node_modules/${name}` : `node_modules/${name}`]) return true;
    if (!base) return false;
    const up = base.lastIndexOf('/node_modules/');
    base = up >= 0 ? base.slice(0, up) : '';
  }
}

/** A package published for one operating system and processor (`<pkg>-<os>-<cpu>[-<libc>]`). */
const PLATFORM_BINARY =
  /-(darwin|linux|win32|freebsd|android|openbsd|sunos|aix|netbsd)-[a-z0-9]+(-[a-z0-9]+)?$/;

/** The lock with dangling platform binaries dropped, and the names dropped (as `owner → name`). */
function lockForCi(lock) {
  const out = structuredClone(lock);
  const dropped = [];
  for (const [location, entry] of Object.entries(out.packages ?? {})) {
    for (const field of ['dependencies', 'devDependencies', 'optionalDependencies']) {
      for (const name of Object.keys(entry[field] ?? {})) {
        if (resolves(out.packages, location, name)) continue;
        if (field !== 'optionalDependencies' || !PLATFORM_BINARY.test(name)) {
          throw new Error(`${location || 'the project'} needs ${name}, which the lock does not hold`);
        }
        delete entry[field][name];
        dropped.push(`${location} → ${name}`);
      }
    }
  }
  return { lock: out, dropped };
}

module.exports = { lockForCi };

if (require.main === module) {
  const file = path.resolve(process.argv[2] ?? 'package-lock.json');
  try {
    const { lock, dropped } = lockForCi(JSON.parse(fs.readFileSync(file, 'utf8')));
    fs.writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
    console.error(`lock-for-ci: ${dropped.length} optional platform binaries the lock holds no entry for`);
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
