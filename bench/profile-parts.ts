/**
 * Where an API process's CPU went, by part: reads a V8 CPU profile (`bench:usage -- --profile <dir>`,
 * `node --cpu-prof`) and attributes every sample to the part of the engine or of Node it was spent in.
 * A sample counts for the innermost frame that belongs to a part of our own or a library's, so the Buffer
 * and stream work a driver asks Node for is the driver's; the kernel's socket writes stand apart, being on
 * some machines the largest single cost of a request. The profiler samples by the clock, so those writes
 * also hold the time the process spent taken off the CPU inside them: a write to PostgreSQL on the same
 * cores wakes its backend, which may run first (on the credits path a third of the busy time, where a
 * loopback write cost the client 11-20 us of the kernel's CPU measured alone). Idle time and start-up
 * (everything before the first request's middleware ran) are left out: shares are of busy time serving
 * requests.
 *
 *   npx tsx bench/profile-parts.ts <file.cpuprofile> [--requests N]   (N: µs a request beside each share)
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Parts by where their code lives; the first rule that matches a frame's file names its part. */
const PARTS: [string, RegExp][] = [
  ['authentication', /api\/middleware\/authenticate|api\/auth\/|node_modules\/jose\//],
  [
    'metrics, logging, tracing',
    /prom-client|pino|api\/middleware\/(http-metrics|request-context)|telemetry\/|@opentelemetry/,
  ],
  ['validation', /node_modules\/zod\/|api\/validation\/|api\/routes\/[^/]+\/schemas|api\/middleware\/body/],
  ['database: ORM and query builder', /@mikro-orm|node_modules\/knex\/|node_modules\/tarn\//],
  ['database: driver', /node_modules\/(pg|pg-protocol|pg-types|better-sqlite3)\//],
  ['database: our statements', /\/db\//],
  ['use case and domain', /\/(services|domain)\/|api\/routes\/[^/]+\/(handlers|dto)/],
  ['routing and the rest of the API', /\/api\//],
  [
    'Koa and its router',
    /node_modules\/(koa|@koa|koa-compose|delegates|http-errors|statuses|accepts|type-is|content-type|cookies)\//,
  ],
  ['Node: HTTP, streams, events', /^node:/],
];

const KERNEL_WRITES = new Set(['writeBuffer', 'writev', 'writeUtf8String', 'writeLatin1String']);

export function partsOf(profile: Profile): { busyMs: number; parts: Map<string, number> } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const partOfNode = new Map<number, string>();
  const partOf = (id: number): string => {
    const known = partOfNode.get(id);
    if (known) return known;
    const leaf = byId.get(id) as ProfileNode;
    const name = leaf.callFrame.functionName;
    let part: string | null = null;
    if (name === '(garbage collector)') part = 'garbage collection';
    else if (KERNEL_WRITES.has(name)) part = 'socket writes (the kernel)';
    else {
      // The innermost frame of a part of ours or a library's; Node's own only when nothing else claims it.
      let nodeFallback: string | null = null;
      for (let x: number | undefined = id; x !== undefined; x = parent.get(x)) {
        const url = (byId.get(x) as ProfileNode).callFrame.url;
        const rule = PARTS.find(([, re]) => re.test(url));
        if (!rule) continue;
        if (rule[0].startsWith('Node:')) {
          nodeFallback ??= rule[0];
          continue;
        }
        part = rule[0];
        break;
      }
      part ??= nodeFallback ?? 'other (V8, natives, start-up)';
    }
    partOfNode.set(id, part);
    return part;
  };
  // Start-up (loading and compiling modules, building the app) is not a request's: counting starts at the
  // first sample taken inside a request's middleware.
  const inRequest = (id: number) => {
    for (let x: number | undefined = id; x !== undefined; x = parent.get(x))
      if ((byId.get(x) as ProfileNode).callFrame.url.includes('/api/middleware/')) return true;
    return false;
  };
  const first = profile.samples.findIndex(inRequest);
  const parts = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const name = (byId.get(id) as ProfileNode).callFrame.functionName;
    if (i < first || name === '(idle)') return;
    const us = profile.timeDeltas[i] ?? 0;
    busy += us;
    const part = partOf(id);
    parts.set(part, (parts.get(part) ?? 0) + us);
  });
  return { busyMs: busy / 1000, parts };
}

if (require.main === module) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { requests: { type: 'string' } },
  });
  if (positionals.length !== 1) {
    console.error('usage: npx tsx bench/profile-parts.ts <file.cpuprofile> [--requests N]');
    process.exit(2);
  }
  const { busyMs, parts } = partsOf(JSON.parse(readFileSync(positionals[0] as string, 'utf8')) as Profile);
  const requests = values.requests ? Number(values.requests) : null;
  console.log(`busy ${busyMs.toFixed(0)} ms${requests ? `, ${requests} requests` : ''}`);
  for (const [part, us] of [...parts].sort((a, b) => b[1] - a[1])) {
    const perRequest = requests ? `  ${(us / requests).toFixed(0).padStart(5)} µs/request` : '';
    console.log(`  ${part.padEnd(36)} ${((100 * us) / 1000 / busyMs).toFixed(1).padStart(5)} %${perRequest}`);
  }
}
