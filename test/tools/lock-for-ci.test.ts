import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { lockForCi } = require('../../tools/lock-for-ci') as {
  lockForCi: (lock: unknown) => { lock: Lock; dropped: string[] };
};

interface Lock {
  packages: Record<
    string,
    { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> }
  >;
}

const lock = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package-lock.json'), 'utf8')) as Lock;

describe('the lock the image build hands to npm ci (tools/lock-for-ci.js)', () => {
  it('drops only optional platform binaries the lock holds no entry for, and keeps every other entry', () => {
    const { lock: out, dropped } = lockForCi(lock);
    for (const line of dropped)
      expect(line).toMatch(/ → @swc\/core-(darwin|win32|linux)-[a-z0-9]+(-[a-z0-9]+)?$/);
    expect(Object.keys(out.packages)).toEqual(Object.keys(lock.packages));
    // Every name the lock still lists resolves to an entry: npm ci finds nothing missing.
    const missing: string[] = [];
    for (const [location, entry] of Object.entries(out.packages)) {
      for (const name of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies })) {
        let base = location;
        let found = false;
        for (;;) {
          if (out.packages[base ? `${base}/node_modules/${name}` : `node_modules/${name}`]) found = true;
          if (found || !base) break;
          const up = base.lastIndexOf('/node_modules/');
          base = up >= 0 ? base.slice(0, up) : '';
        }
        if (!found) missing.push(`${location} → ${name}`);
      }
    }
    expect(missing).toEqual([]);
    // The binaries a Linux image runs stay listed.
    expect(Object.keys(out.packages['node_modules/@swc/core']?.optionalDependencies ?? {})).toEqual(
      expect.arrayContaining(['@swc/core-linux-x64-gnu', '@swc/core-linux-arm64-gnu']),
    );
  });

  it('stops the build when a required dependency, or an optional one that is no platform binary, is missing', () => {
    const broken = structuredClone(lock);
    delete broken.packages['node_modules/jose'];
    expect(() => lockForCi(broken)).toThrow(/needs jose/);
    const optional = structuredClone(lock);
    optional.packages['node_modules/koa']!.optionalDependencies = { 'left-pad': '^1.0.0' };
    expect(() => lockForCi(optional)).toThrow(/needs left-pad/);
  });
});
