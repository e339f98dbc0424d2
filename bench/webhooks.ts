/**
 * `npm run bench:webhooks`: Stripe webhook intake against a real Temporal dev server. Sends signed
 * `customer.subscription.updated` events for running subscription workflows at a fixed rate (open loop,
 * so a slow answer cannot hide by slowing the sender), then as fast as it can, and prints sustained
 * events/s, p50/p99 acknowledgement latency, and how many events were lost (not recorded in the
 * database). Target: p99 under 50 ms at 200 events/s, none lost. A warm-up at the target rate comes first
 * and is not counted. Loopback only; bounded in time.
 */
import { mkdtempSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import type Stripe from 'stripe';
import { createStripeClient } from '../integrations/stripe/client';
import { Customer, StripeEvent } from '../db/entities';
import { newId } from '../db/ids';
import { openDatabase } from '../db/orm';
import { withoutTemporalTls } from '../config/temporal-tls';
import { compiledEngine } from '../tools/compiled-engine';
import { syncCatalogToStripe } from '../services/setup/sync-catalog-to-stripe';
import { startStripeEmulator } from '../tools/stripe-emulator';
import { ALL_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ensureTemporalCli } = require('../tools/temporal-cli');

const SECRET = 'whsec_bench';
const SUBSCRIPTIONS = 20;
const RATE = 200;
const WARM_UP_SECONDS = 5;
const FIXED_RATE_SECONDS = 20;
const MAX_RATE_SECONDS = 10;
const CONCURRENCY = 32;

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { freePort } = require('../tools/free-port') as { freePort: () => Promise<number> };

async function waitFor(check: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('the engine did not become ready');
}

/** Sends `RATE` requests a second for `seconds`, each on its schedule whatever the answers before it. */
async function atRate<T>(seconds: number, sendOne: (i: number) => Promise<T>): Promise<T[]> {
  const sent: Promise<T>[] = [];
  const t0 = Date.now();
  for (let i = 0; i < RATE * seconds; i++) {
    const wait = t0 + (i * 1000) / RATE - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    sent.push(sendOne(i));
  }
  return Promise.all(sent);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-webhooks-'));
  // The embedded SQLite file by default; BENCH_DATABASE_URL=postgres://… measures the production database.
  const dbUrl = process.env.BENCH_DATABASE_URL ?? `sqlite:${join(dir, 'billing.sqlite')}`;
  // Split priority (the default): the API, which answers Stripe, keeps the CPU it needs while the worker
  // and the Temporal server (throughput work that may lag a little) run at nice 10, as separate hosts or
  // CPU requests would give them in production. BENCH_PRIORITY=equal runs everything alike.
  const split = (process.env.BENCH_PRIORITY ?? 'split') !== 'equal';
  const background = (cmd: string, args: string[]): [string, string[]] =>
    split ? ['nice', ['-n', '10', cmd, ...args]] : [cmd, args];
  const temporalPort = await freePort();
  const temporalAddress = `127.0.0.1:${temporalPort}`;
  const serverArgs = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(temporalPort)];
  serverArgs.push('--headless', '--namespace', 'billing', '--log-level', 'error');
  for (const key of ALL_SEARCH_ATTRIBUTES) {
    serverArgs.push('--search-attribute', `${key.name}=${key.type === 'DATETIME' ? 'Datetime' : 'Keyword'}`);
  }
  const server = spawn(...background(ensureTemporalCli({ log: console.error }), serverArgs), {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitFor(async () => {
    const conn = await Connection.connect({ address: temporalAddress, connectTimeout: 1000 });
    try {
      await conn.workflowService.describeNamespace({ namespace: 'billing' });
      return true;
    } finally {
      await conn.close();
    }
  });
  const orm = await openDatabase(dbUrl);
  const emulator = await startStripeEmulator({ port: 0 });
  const stripe = createStripeClient({ apiBase: emulator.url }) as Stripe;
  await syncCatalogToStripe({ stripe, orm });
  // The API and the worker run as the engine deploys them: each in its own process, sharing the database.
  const port = await freePort();
  const childEnv = {
    // The benchmark's own Temporal is plaintext on loopback.
    ...withoutTemporalTls(process.env),
    NODE_ENV: 'test',
    LOG_LEVEL: 'error',
    PORT: String(port),
    DATABASE_URL: dbUrl,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_NAMESPACE: 'billing',
    TEMPORAL_TASK_QUEUE: 'bench',
    STRIPE_API_BASE: emulator.url,
    STRIPE_WEBHOOK_SECRET: SECRET,
    VAR_DIR: dir,
  };
  const children = [
    spawn(process.execPath, [compiledEngine('api/main')], {
      env: childEnv,
      stdio: ['ignore', 'ignore', 'inherit'],
    }),
    spawn(...background(process.execPath, [compiledEngine('worker/main')]), {
      env: childEnv,
      stdio: ['ignore', 'ignore', 'inherit'],
    }),
  ];
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok);

  // Subscriptions made in Stripe; their first event starts each one's workflow.
  const price = (await stripe.prices.list({ lookup_keys: ['starter_v1_monthly'] })).data[0] as Stripe.Price;
  const subs: Stripe.Subscription[] = [];
  const em = orm.em.fork();
  for (let i = 0; i < SUBSCRIPTIONS; i++) {
    const sc = await stripe.customers.create({
      email: `bench${i}@example.com`,
      payment_method: 'pm_card_visa',
      invoice_settings: { default_payment_method: 'pm_card_visa' },
    });
    em.create(Customer, {
      id: newId('cust'),
      userId: `bench-${i}`,
      email: `bench${i}@example.com`,
      stripeCustomerId: sc.id,
    });
    subs.push(await stripe.subscriptions.create({ customer: sc.id, items: [{ price: price.id }] }));
  }
  await em.flush();

  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  let seq = 0;
  const send = (type: string, sub: Stripe.Subscription): Promise<{ ms: number; ok: boolean; id: string }> => {
    const id = `evt_bench_${++seq}`;
    const payload = JSON.stringify({
      id,
      object: 'event',
      type,
      created: Math.floor(Date.now() / 1000),
      data: { object: sub },
    });
    const signature = stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET });
    const started = process.hrtime.bigint();
    return new Promise((resolve) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/api/v1/billing/webhooks/stripe',
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'stripe-signature': signature },
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            resolve({ ms: Number(process.hrtime.bigint() - started) / 1e6, ok: res.statusCode === 200, id }),
          );
        },
      );
      req.on('error', () => resolve({ ms: Number(process.hrtime.bigint() - started) / 1e6, ok: false, id }));
      req.end(payload);
    });
  };
  for (const s of subs) await send('customer.subscription.created', s);

  // Warm-up, not measured: every workflow started and settled, then the target rate for a few seconds
  // (JIT, connection pools, the workflow cache), so the figures are the sustained ones.
  const unforwarded = () => orm.em.fork().count(StripeEvent, { forwardedAt: null });
  await waitFor(async () => (await unforwarded()) === 0);
  await new Promise((r) => setTimeout(r, 3000));
  await atRate(WARM_UP_SECONDS, (i) =>
    send('customer.subscription.updated', subs[i % subs.length] as Stripe.Subscription),
  );

  // Phase 1: a fixed rate.
  const t0 = Date.now();
  const fixedResults = await atRate(FIXED_RATE_SECONDS, (i) =>
    send('customer.subscription.updated', subs[i % subs.length] as Stripe.Subscription),
  );
  const fixedElapsed = (Date.now() - t0) / 1000;

  // Phase 2: as fast as the engine answers, with a bounded number in flight.
  const fast: { ms: number; ok: boolean; id: string }[] = [];
  const t1 = Date.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, w) => {
      let i = w;
      while (Date.now() - t1 < MAX_RATE_SECONDS * 1000) {
        fast.push(await send('customer.subscription.updated', subs[i % subs.length] as Stripe.Subscription));
        i += CONCURRENCY;
      }
    }),
  );
  const fastElapsed = (Date.now() - t1) / 1000;

  const all = [...fixedResults, ...fast];
  const recorded = await orm.em
    .fork()
    .count(StripeEvent, { id: { $in: all.filter((r) => r.ok).map((r) => r.id) } });
  const report = (name: string, rs: { ms: number; ok: boolean }[], secs: number) => {
    const lat = rs.map((r) => r.ms).sort((a, b) => a - b);
    console.log(
      `${name.padEnd(22)} ${String(rs.length).padStart(6)} events  ${(rs.length / secs).toFixed(0).padStart(5)} ev/s  ` +
        `p50 ${pct(lat, 50).toFixed(1)} ms  p99 ${pct(lat, 99).toFixed(1)} ms  max ${pct(lat, 100).toFixed(1)} ms  non-2xx ${rs.filter((r) => !r.ok).length}`,
    );
  };
  console.log(
    `\nWebhook intake (signature check, dedupe insert, signal to a running workflow; ${dbUrl.split(':')[0]}; Temporal dev server; ` +
      `${split ? 'worker and Temporal at nice 10' : 'all processes at equal priority'})`,
  );
  report(`fixed ${RATE} ev/s`, fixedResults, fixedElapsed);
  report(`max (${CONCURRENCY} in flight)`, fast, fastElapsed);
  const ackedIds = all.filter((r) => r.ok).map((r) => r.id);
  // Acknowledged means recorded; every event must then also reach its workflow (within a minute).
  const countForwarded = () =>
    orm.em.fork().count(StripeEvent, { id: { $in: ackedIds }, forwardedAt: { $ne: null } });
  const deadline = Date.now() + 60_000;
  let forwarded = await countForwarded();
  while (forwarded < ackedIds.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    forwarded = await countForwarded();
  }
  console.log(
    `acknowledged ${ackedIds.length}, recorded ${recorded}, forwarded to workflows ${forwarded}, lost ${ackedIds.length - recorded}`,
  );

  agent.destroy();
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map((c) => new Promise((r) => c.once('exit', r))));
  await emulator.stop();
  await orm.close();
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
