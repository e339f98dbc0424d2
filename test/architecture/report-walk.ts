/**
 * Runs one POST /billing/report_usage through the API with every exported function and method of api/,
 * services/, db/ and domain/ wrapped, and prints, as JSON, the files control passed through in order
 * (a file is entered when one of its functions is called from another file). Run by
 * report-walk.test.ts in a process of its own, since it hooks Node's module loader.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import Module from 'node:module';
import path from 'node:path';
import type * as DbHelpers from '../helpers/db';
import type * as AuthHelpers from '../helpers/auth';
import type * as UsageFixtures from '../usage/fixtures';
import type * as Counters from '../../db/usage-counters';

const ROOT = path.join(__dirname, '..', '..') + path.sep;
const LAYERS = ['api', 'services', 'db', 'domain'];
// What every route runs before its handler (text checks, body reading, the route wrapper, the role check):
// not the use case's walk.
const EDGE = (f: string) =>
  f.startsWith('api/validation/') ||
  f.startsWith('api/middleware/') ||
  f.startsWith('api/routing/') ||
  f === 'domain/text.ts' ||
  f === 'domain/roles.ts';

const walk: string[] = [];
let tracing = false;
// The traced report's own work, from its route on: a background timer that fires meanwhile (the Stripe
// event forwarder's sweep, every 2 s) is not part of its walk, however slow the machine makes the report.
const inReport = new AsyncLocalStorage<true>();

function projectFile(absolute: string): string | null {
  if (!absolute.startsWith(ROOT) || absolute.includes('node_modules')) return null;
  const rel = absolute.slice(ROOT.length).split(path.sep).join('/');
  return LAYERS.includes(rel.split('/')[0] as string) ? rel : null;
}

/** The project file of the nearest caller on the stack (this file and libraries skipped). */
function callerFile(): string | null {
  for (const line of (new Error().stack ?? '').split('\n').slice(1)) {
    const m = /\(?(\/[^():]+):\d+:\d+\)?$/.exec(line.trim());
    if (!m || m[1] === __filename) continue;
    const rel = projectFile(m[1] as string);
    if (rel) return rel;
  }
  return null;
}

function enter(file: string): void {
  if (tracing && inReport.getStore() && !EDGE(file) && walk[walk.length - 1] !== file) walk.push(file);
}

function traced<F extends (...args: unknown[]) => unknown>(fn: F, file: string): F {
  const call = (self: unknown, args: unknown[]) => {
    const caller = callerFile();
    if (caller && caller !== file) {
      enter(caller);
      enter(file);
    }
    return fn.apply(self, args);
  };
  return function (this: unknown, ...args: unknown[]) {
    if (tracing && !inReport.getStore() && file.startsWith('api/routes/usage/'))
      return inReport.run(true, () => call(this, args));
    return call(this, args);
  } as F;
}

type Loader = (request: string, parent: unknown, isMain: boolean) => unknown;
const mod = Module as unknown as { _load: Loader; _resolveFilename: Loader };
const load = mod._load;
const wrappedClasses = new WeakSet<object>();
mod._load = function (request, parent, isMain) {
  const exported = load.call(this, request, parent, isMain);
  let file: string | null = null;
  try {
    file = projectFile(mod._resolveFilename.call(this, request, parent, isMain) as string);
  } catch {
    return exported;
  }
  if (!file || !exported || typeof exported !== 'object') return exported;
  const where = file;
  const cache = new Map<string | symbol, unknown>();
  return new Proxy(exported as object, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== 'function') return value;
      if (/^class\b/.test(Function.prototype.toString.call(value))) {
        const proto = (value as { prototype: Record<string, unknown> }).prototype;
        if (!wrappedClasses.has(proto)) {
          wrappedClasses.add(proto);
          for (const name of Object.getOwnPropertyNames(proto)) {
            const d = Object.getOwnPropertyDescriptor(proto, name);
            if (name !== 'constructor' && typeof d?.value === 'function') {
              proto[name] = traced(d.value as (...a: unknown[]) => unknown, where);
            }
          }
        }
        return value;
      }
      if (!cache.has(key)) cache.set(key, traced(value as (...a: unknown[]) => unknown, where));
      return cache.get(key);
    },
  });
};

async function main(): Promise<void> {
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded after the hook is in place */
  const { openTestDatabase } = require('../helpers/db') as typeof DbHelpers;
  const { startTestIdp } = require('../helpers/auth') as typeof AuthHelpers;
  const fixtures = require('../usage/fixtures') as typeof UsageFixtures;
  const { countersFor, setCountersFor } = require('../../db/usage-counters') as typeof Counters;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const db = await openTestDatabase('sqlite');
  // What the warm-up remembers stays remembered for the walk however slow the machine: with the usual
  // 1 and 2 s, a slow run re-read access and counters between the two reports and walked back and forth.
  // The class is taken from an instance, not from the module's exports, so its methods stay unwrapped as
  // in a normal run (the walk records files, not the cache's lookups).
  const Cache = Object.getPrototypeOf(countersFor(db.orm.em)).constructor as typeof Counters.UsageCounters;
  setCountersFor(db.orm.em, new Cache({ counterTtlMs: 600_000, accessTtlMs: 600_000 }));
  const idp = await startTestIdp();
  const api = await fixtures.startUsageApi(db.orm, idp);
  await fixtures.seedSubscriber(db.orm, {
    email: 'walk@example.com',
    plan: 'professional',
    periodStart: new Date(Date.now() - 5 * 86_400_000),
  });
  const token = await idp.token({ sub: 'kc-walk@example.com', email: 'walk@example.com', roles: [] });
  const report = (events: unknown[]) =>
    api.request('POST', '/api/v1/billing/report_usage', { token, body: { events } });
  // A warm-up first, so the caches a process fills once are not part of the walk.
  await report([{ id: 'warm-up', type: 'inference', quantity: 1 }]);
  tracing = true;
  const res = await report([
    { id: 'walk-0', type: 'inference', quantity: 1 },
    { id: 'walk-1', type: 'inference', quantity: 2 },
  ]);
  tracing = false;
  process.stdout.write(JSON.stringify({ status: res.status, body: res.body, walk }) + '\n');
  await api.stop();
  await db.close();
  await idp.stop();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
