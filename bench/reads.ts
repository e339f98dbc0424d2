/**
 * Customer read benchmark: the reads the web app's dashboard and the AI gateway make on every page —
 * GET /billing/invoices?limit=10, /billing/subscription, /billing/usage, /billing/payment-methods and
 * /subscriptions/my-access — and the gateway's two questions, check-access and entitlements/check (each
 * also beside the gateway's ingestion), beside the bare route (/healthz) — for one seeded customer (a live subscription, 12 paid invoices, two payment
 * methods, some usage), each at 16 in flight on keep-alive connections, and each at a fixed 1,000 req/s
 * (latency counted from when each request was due). Every phase runs three times; the summary prints
 * min / median / max with the API's CPU time per request.
 *
 * The API as production runs it (api/main.ts: every route and middleware, Temporal out of reach, which
 * these reads never call) runs in a process of its own (bench/api-process.ts) on a database the benchmark
 * owns and seeds first: a SQLite file, or a throwaway PostgreSQL cluster (tools/postgres.js). `npm run bench:peer` measures Kill Bill's invoice read
 * on the same machine; the ratio to it is these figures over its.
 *
 *   npx tsx bench/reads.ts [--seconds 5] [--runs 3] [--concurrency 16] [--dialect sqlite,postgresql]
 *                          [--reads bare,invoices,subscription,usage,payment-methods,my-access,check-access,entitlements-check,entitlements-check-get]
 *                          [--profile <dir>]   (writes the API process's CPU profile, node --cpu-prof)
 */
import { parseArgs } from 'node:util';
import { PaymentMethod } from '../db/entities';
import { newId } from '../db/ids';
import { openDatabase } from '../db/orm';
import { startTestIdp } from '../test/helpers/auth';
import { seedSubscriber } from '../test/usage/seed-subscriber';
import { startApiProcess } from './api-process';
import { freshDatabase, type Dialect } from './engine';
import { seedPaidInvoices } from './seed-invoices';
import { closedLoop, figures, openLoop, spread, type LoadResult, type Target } from './load';

interface Ready {
  port: number;
  token: string;
  gatewayToken: string;
  sub: string;
}

interface Read {
  path: string;
  expect: string;
  method?: 'GET' | 'POST';
  body?: string;
  /** Also measured beside ingestion (the gateway checks before each model call and reports after it). */
  gateway?: boolean;
}

const READS: Record<string, Read> = {
  // The bare route: every middleware (auth included), no database: the ceiling the others are a share of.
  bare: { path: '/healthz', expect: '"' },
  invoices: { path: '/api/v1/billing/invoices?limit=10', expect: '"READ-' },
  subscription: { path: '/api/v1/billing/subscription', expect: '"status"' },
  usage: { path: '/api/v1/billing/usage', expect: '"' },
  'payment-methods': { path: '/api/v1/billing/payment-methods', expect: '"pm_read_' },
  'my-access': { path: '/api/v1/subscriptions/my-access', expect: '"' },
  'check-access': {
    path: '/api/v1/subscriptions/check-access/api',
    method: 'POST',
    expect: '"allowed":',
    gateway: true,
  },
  'entitlements-check': {
    path: '/api/v1/entitlements/check',
    method: 'POST',
    body: JSON.stringify({ feature: 'api_calls' }),
    expect: '"allowed":',
    gateway: true,
  },
  // The same question in the query string: no body to read.
  'entitlements-check-get': {
    path: '/api/v1/entitlements/check?feature=api_calls',
    expect: '"allowed":',
    gateway: true,
  },
};

const INVOICES = 12;

interface Api {
  ready: Ready;
  cpu(): Promise<number>;
  stop(): Promise<void>;
}

/** Seeds one reader (a live subscription, paid invoices, two cards), then starts the API on that database. */
async function startApi(dialect: Dialect, profile: string | null): Promise<Api> {
  const { url, stops, stopAll } = await freshDatabase(dialect, 'bench_reads');
  try {
    const orm = await openDatabase(url);
    stops.push(() => orm.close());
    const idp = await startTestIdp();
    stops.push(() => idp.stop());
    const periodStart = new Date(Date.now() - 86_400_000);
    const email = 'reader@bench.local';
    const { customer, subscription, sub } = await seedSubscriber(orm, {
      email,
      plan: 'professional',
      periodStart,
      stripeCustomerId: 'cus_bench_reader',
    });
    const em = orm.em.fork();
    // Months of invoices up to the one before the current period.
    seedPaidInvoices(em, subscription, {
      count: INVOICES,
      newestStart: new Date(periodStart.getTime() - 30 * 86_400_000),
      label: 'READ',
    });
    for (let i = 0; i < 2; i++) {
      em.create(PaymentMethod, {
        id: newId('pm'),
        stripePaymentMethodId: `pm_read_${i}`,
        customer: customer.id,
        brand: i === 0 ? 'visa' : 'mastercard',
        last4: i === 0 ? '4242' : '4444',
        expMonth: 12,
        expYear: 2030,
        isDefault: i === 0,
        createdAt: new Date(periodStart.getTime() + i * 1000),
      });
    }
    await em.flush();
    const api = await startApiProcess({
      databaseUrl: url,
      oidc: { issuer: idp.issuer, jwksUrl: idp.jwksUrl },
      profile,
    });
    stops.push(() => api.stop());
    const ready: Ready = {
      port: api.port,
      token: await idp.token({ sub, email }),
      gatewayToken: await idp.token({
        sub: 'svc-gateway',
        extra: { preferred_username: 'ai-gateway' },
        roles: ['billing-gateway'],
      }),
      sub,
    };
    return { ready, cpu: async () => (await api.read()).cpuMicros, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

async function seedUsage(ready: Ready): Promise<void> {
  const r = await closedLoop(
    {
      port: ready.port,
      path: () => '/api/v1/billing/report_usage',
      headers: { authorization: `Bearer ${ready.gatewayToken}` },
      body: (i) =>
        JSON.stringify({
          user_id: ready.sub,
          events: Array.from({ length: 10 }, (_, k) => ({
            id: `seed-${i}-${k}`,
            type: k % 4 === 0 ? 'embedding' : 'inference',
            quantity: 1 + k,
          })),
        }),
    },
    { concurrency: 1, seconds: 0.3 },
  );
  if (r.failures) throw new Error(`seeding usage failed: ${r.failureSamples[0]}`);
}

async function run(
  dialect: Dialect,
  opts: { seconds: number; runs: number; concurrency: number; reads: string[]; profile: string | null },
) {
  const api = await startApi(dialect, opts.profile);
  try {
    const { ready } = api;
    await seedUsage(ready);
    const target = (name: string): Target => {
      const read = READS[name];
      if (!read) throw new Error(`--reads: unknown read ${name}`);
      return {
        port: ready.port,
        method: read.method ?? 'GET',
        path: () => read.path,
        headers: {
          authorization: `Bearer ${ready.token}`,
          ...(read.body && { 'content-type': 'application/json' }),
        },
        ...(read.body && { body: () => read.body as string }),
        ok: (status, text) => status === 200 && text.includes(read.expect),
      };
    };
    // Ingestion beside a check: the gateway's reports for the same customer, 10 events each.
    const ingestion: Target = {
      port: ready.port,
      method: 'POST',
      path: () => '/api/v1/billing/report_usage',
      headers: { authorization: `Bearer ${ready.gatewayToken}`, 'content-type': 'application/json' },
      body: (i) =>
        JSON.stringify({
          user_id: ready.sub,
          events: Array.from({ length: 10 }, (_, k) => ({
            id: `beside-${Date.now()}-${i}-${k}`,
            type: 'inference',
            quantity: 1,
          })),
        }),
    };
    // Warm-up: JIT, the JWKS fetch, the page caches.
    for (const name of opts.reads)
      await closedLoop(target(name), { concurrency: opts.concurrency, seconds: 1 });
    const table = new Map<string, { rate: number[]; p50: number[]; p99: number[]; cpu: number[] }>();
    const keep = (label: string, result: LoadResult, cpuMicros: number) => {
      const f = figures(result);
      const row = table.get(label) ?? { rate: [], p50: [], p99: [], cpu: [] };
      row.rate.push(f.rate);
      row.p50.push(f.p50);
      row.p99.push(f.p99);
      row.cpu.push(cpuMicros / Math.max(1, result.requests));
      table.set(label, row);
      const failed = result.failureSamples.length ? `\n    e.g. ${result.failureSamples[0]}` : '';
      console.log(
        `  ${label.padEnd(36)} ${Math.round(f.rate).toLocaleString('en-US').padStart(7)} req/s  p50 ${f.p50.toFixed(2)} ms  p99 ${f.p99.toFixed(2)} ms  (${result.requests} requests, ${result.failures} failed; API CPU ${(cpuMicros / Math.max(1, result.requests)).toFixed(0)} µs/request)${failed}`,
      );
    };
    console.log(
      `\n${dialect}: ${opts.runs} runs, ${opts.seconds} s per phase, ${opts.concurrency} in flight, keep-alive`,
    );
    for (let r = 1; r <= opts.runs; r++) {
      console.log(`run ${r}`);
      for (const name of opts.reads) {
        let before = await api.cpu();
        let result = await closedLoop(target(name), { concurrency: opts.concurrency, seconds: opts.seconds });
        keep(`${name}, ${opts.concurrency} in flight`, result, (await api.cpu()) - before);
        before = await api.cpu();
        result = await openLoop(target(name), { rate: 1000, seconds: opts.seconds });
        keep(`${name}, fixed 1,000 req/s`, result, (await api.cpu()) - before);
        if (READS[name]?.gateway) {
          before = await api.cpu();
          const [beside] = await Promise.all([
            openLoop(target(name), { rate: 1000, seconds: opts.seconds }),
            openLoop(ingestion, { rate: 200, seconds: opts.seconds }),
          ]);
          keep(`${name}, 1,000 req/s beside 2,000 ev/s`, beside, (await api.cpu()) - before);
        }
      }
    }
    console.log(`\n${dialect} summary, min / median / max over ${opts.runs} runs`);
    for (const [label, row] of table) {
      console.log(
        `  ${label.padEnd(36)} ${spread(row.rate).padStart(22)} req/s   p50 ${spread(row.p50, 2)} ms   p99 ${spread(row.p99, 2)} ms   API CPU ${spread(row.cpu)} µs/req`,
      );
    }
  } finally {
    await api.stop();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '5' },
      runs: { type: 'string', default: '3' },
      concurrency: { type: 'string', default: '16' },
      dialect: { type: 'string', default: 'sqlite,postgresql' },
      reads: { type: 'string', default: Object.keys(READS).join(',') },
      profile: { type: 'string' },
    },
  });
  console.log(
    'customer read benchmark — API in its own process, load from this one; figures are min / median / max of runs',
  );
  for (const d of values.dialect.split(',')) {
    if (d !== 'sqlite' && d !== 'postgresql') throw new Error(`--dialect: sqlite or postgresql, not ${d}`);
    await run(d, {
      seconds: Number(values.seconds),
      runs: Number(values.runs),
      concurrency: Number(values.concurrency),
      reads: values.reads.split(','),
      profile: values.profile ?? null,
    });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
