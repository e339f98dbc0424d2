/**
 * `npm run bench:scale [-- --subscriptions 10000] [--quick]`: how the engine's cost grows with the number of
 * subscriptions, on the production topology (tools/cluster: Temporal on PostgreSQL, two APIs behind nginx,
 * two workers, the Stripe emulator in Stripe's place). Loopback only, every wait bounded. Three tables, each
 * with the machine, the date and the load average, and a sentence on what grows with what:
 *
 * 1. Subscription starts a second, Temporal on PostgreSQL against the Temporal CLI's dev server (a SQLite
 *    file, as `npm run dev` runs it), in alternating rounds of the same run, so the ratio holds whatever the
 *    machine. Each server gets one engine worker process of its own (`worker/main.ts`, same configuration)
 *    on a task queue of its own. A start is the subscription workflow with the input checkout gives it,
 *    32 in flight; each run then writes its record through an activity. Counted: starts the server
 *    accepted a second, and starts carried through that first activity a second (the round ends when the
 *    worker has caught up).
 * 2. Live subscription workflows the cluster's two workers hold. N subscriptions are made the fastest way
 *    that is still the engine's own: each customer through the onboarding workflow a sign-in starts (an
 *    identity with no Keycloak user, so access syncs find no one to write to), its subscription made in
 *    Stripe directly (as in Stripe's dashboard, card on file), whose webhooks make the engine start the
 *    subscription's workflow. At checkpoints, each worker's RSS and sticky cache (the SDK's metrics):
 *    MB per 1,000 cached workflows, and what happens once the cache is full.
 * 3. The renewal run: every subscription's Stripe test clock (one per customer, as the cluster gives them)
 *    moved past its period end at once, 16 clocks at a time; then the time until the engine's `invoices`
 *    table holds all N renewal invoices as paid, with the workers' task latencies (schedule-to-start
 *    histograms) and the APIs' webhook forwarding sampled meanwhile.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { MikroORM } from '@mikro-orm/core';
import { newId } from '../db/ids';
import { openDatabase } from '../db/orm';
import { num, sqlFor } from '../db/raw-sql';
import { createStripeClient } from '../integrations/stripe/client';
import { resolvePlanPrice, type PlanPrice } from '../services/subscriptions/plan-price';
import { workflowType } from '../services/temporal/workflow-type';
import { startCluster, type Cluster } from '../tools/cluster/cluster';
import { workflowIds } from '../workflows/ids';
import { ALL_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import type { SubscriptionInput } from '../workflows/subscription';
import { percentile, spread } from './load';

/* eslint-disable @typescript-eslint/no-require-imports */
const { ensureTemporalCli } = require('../tools/temporal-cli') as {
  ensureTemporalCli(opts?: { log?: (l: string) => void }): string;
};
const { freePort } = require('../tools/free-port') as { freePort(): Promise<number> };
/* eslint-enable @typescript-eslint/no-require-imports */

const ROOT = resolve(__dirname, '..');
const STARTS_QUEUE = 'scale-starts';
const START_CONCURRENCY = 32;
const MAKE_CONCURRENCY = 16;
const ADVANCE_CONCURRENCY = 16;
/** nginx takes 1,024 connections; Stripe itself sends a burst over a bounded number of connections. */
const WEBHOOK_CONCURRENCY = 64;

interface Settings {
  subscriptions: number;
  quick: boolean;
  rounds: number;
  roundSeconds: number;
  checkpoints: number;
  sampleMs: number;
}

function settingsFrom(argv: string[]): Settings {
  let subscriptions: number | undefined;
  let quick = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') quick = true;
    else if (arg === '--subscriptions') {
      subscriptions = Number(argv[++i]);
      if (!Number.isInteger(subscriptions) || subscriptions < 10)
        throw new Error('--subscriptions needs a whole number of at least 10');
    } else throw new Error(`unknown argument ${String(arg)} (--subscriptions N, --quick)`);
  }
  return {
    subscriptions: subscriptions ?? (quick ? 200 : 10_000),
    quick,
    rounds: quick ? 1 : 3,
    roundSeconds: quick ? 5 : 10,
    checkpoints: quick ? 4 : 5,
    sampleMs: quick ? 2_000 : 5_000,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const elapsed = (since: number) => (Date.now() - since) / 1000;

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number, everyMs = 500) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${Math.round(timeoutMs / 1000)} s`);
    await sleep(everyMs);
  }
}

/** `fn` over `items`, `width` at a time. */
async function inParallel<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];
const fmt = (v: number | null | undefined, digits = 0) =>
  v === null || v === undefined || Number.isNaN(v)
    ? '-'
    : v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

// ---------------------------------------------------------------------------------------------------
// Prometheus text, as the workers (the SDK's exporter) and the APIs (prom-client) serve it.

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([A-Za-z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

async function scrape(url: string, token: string): Promise<Sample[]> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return parseMetrics(await res.text());
}

const total = (samples: Sample[], name: string, where: (l: Record<string, string>) => boolean = () => true) =>
  samples.reduce((n, s) => (s.name === name && where(s.labels) ? n + s.value : n), 0);

/** A histogram's cumulative bucket counts by upper bound, summed over every other label. */
function histogram(samples: Sample[], base: string): Map<number, number> {
  const buckets = new Map<number, number>();
  for (const s of samples) {
    if (s.name !== `${base}_bucket` || s.labels.le === undefined) continue;
    const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
    buckets.set(le, (buckets.get(le) ?? 0) + s.value);
  }
  return buckets;
}

function minus(after: Map<number, number>, before: Map<number, number>): Map<number, number> {
  return new Map([...after].map(([le, n]) => [le, n - (before.get(le) ?? 0)]));
}

/**
 * A quantile of a histogram, interpolated within its bucket as Prometheus' histogram_quantile does; past
 * the last finite bound it is that bound, and `beyond` says so.
 */
function quantile(h: Map<number, number>, q: number): { value: number; beyond: boolean } | null {
  const bounds = [...h.keys()].sort((a, b) => a - b);
  const count = h.get(Infinity) ?? 0;
  if (count <= 0) return null;
  const rank = q * count;
  let lower = 0;
  let below = 0;
  for (const bound of bounds) {
    const n = h.get(bound)!;
    if (n >= rank) {
      if (bound === Infinity) return { value: lower, beyond: true };
      const inside = n - below;
      return {
        value: inside > 0 ? lower + (bound - lower) * ((rank - below) / inside) : bound,
        beyond: false,
      };
    }
    lower = bound;
    below = n;
  }
  return null;
}

const ms = (q: { value: number; beyond: boolean } | null) =>
  q === null ? '-' : `${q.beyond ? '>' : ''}${fmt(q.value * 1000, q.value < 0.01 ? 1 : 0)}`;

// ---------------------------------------------------------------------------------------------------
// Processes this benchmark starts beside the cluster: the dev server and the two start-rate workers.

interface Started {
  name: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

const started = new Set<Started>();
// An interrupted run must not leave a server or a worker behind (the cluster looks after its own).
process.once('exit', () => {
  for (const s of started) s.proc.kill('SIGKILL');
});

function startProcess(
  dir: string,
  name: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  /** A line of its output that says it is ready; null: ready once spawned. */
  ready: ((line: string) => boolean) | null,
  timeoutMs = 120_000,
): Promise<Started> {
  const proc = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(join(dir, 'logs', `${name}.log`), { flags: 'a' });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const self: Started = {
    name,
    proc,
    async stop() {
      started.delete(self);
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(timer);
      }
      log.end();
    },
  };
  started.add(self);
  return new Promise((res, rej) => {
    let tail = '';
    let done = false;
    const timer = setTimeout(
      () => finish(new Error(`${name} not ready within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) void self.stop().then(() => rej(new Error(`${err.message}:\n${tail}`)));
      else res(self);
    };
    const take = (chunk: Buffer) => {
      log.write(chunk);
      tail = (tail + chunk.toString()).slice(-2000);
      if (!done && ready && tail.split('\n').some(ready)) finish();
    };
    proc.stdout!.on('data', take);
    proc.stderr!.on('data', take);
    proc.once('exit', (code) => finish(new Error(`${name} exited (${String(code)})`)));
    proc.once('error', (err) => finish(err));
    if (!ready) proc.once('spawn', () => finish());
  });
}

/** The Temporal CLI's dev server as `npm run dev` starts it (SQLite file, the engine's namespace). */
async function startDevServer(dir: string, namespace: string): Promise<{ address: string; server: Started }> {
  const cli = ensureTemporalCli({ log: (l) => console.error(`[scale] ${l}`) });
  const port = await freePort();
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--headless'];
  args.push(
    '--db-filename',
    join(dir, 'temporal-dev.sqlite'),
    '--namespace',
    namespace,
    '--log-level',
    'error',
  );
  for (const key of ALL_SEARCH_ATTRIBUTES)
    args.push('--search-attribute', `${key.name}=${key.type === 'DATETIME' ? 'Datetime' : 'Keyword'}`);
  const address = `127.0.0.1:${port}`;
  // The dev server prints little at error level; it is ready once it answers for the namespace.
  const env = { PATH: process.env.PATH, HOME: process.env.HOME };
  const server = await startProcess(dir, 'temporal-dev', cli, args, env, null);
  await until(
    'the dev server',
    async () => {
      try {
        const conn = await Connection.connect({ address, connectTimeout: 1000 });
        try {
          await conn.workflowService.describeNamespace({ namespace });
          return true;
        } finally {
          await conn.close();
        }
      } catch {
        return false;
      }
    },
    60_000,
    250,
  );
  return { address, server };
}

/** One more engine worker, configured as the cluster's are, on `address` and the start-rate task queue. */
function startEngineWorker(dir: string, cluster: Cluster, name: string, address: string): Promise<Started> {
  return startProcess(
    dir,
    name,
    process.execPath,
    ['--import', 'tsx', 'worker/main.ts'],
    { ...cluster.engineEnv, TEMPORAL_ADDRESS: address, TEMPORAL_TASK_QUEUE: STARTS_QUEUE },
    (line) => line.includes('"worker running"'),
  );
}

// ---------------------------------------------------------------------------------------------------
// The engine's own steps, as its API and webhooks take them.

/** A customer record for an identity, through the onboarding workflow a sign-in starts. */
async function onboard(
  temporal: Client,
  taskQueue: string,
  userId: string,
  withStripe: boolean,
): Promise<{ customerId: string; email: string; stripeCustomerId: string | null }> {
  const email = `${userId}@example.com`;
  const record = await temporal.workflow.execute(workflowType('customerOnboarding'), {
    workflowId: workflowIds.customer(userId),
    taskQueue,
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    args: [{ userId, email, name: userId }, { withStripe }],
  });
  return { customerId: record.customerId, email, stripeCustomerId: record.stripeCustomerId };
}

/** What checkout starts a subscription's workflow with. */
function checkoutInput(customer: { customerId: string; email: string }, price: PlanPrice): SubscriptionInput {
  return {
    subscriptionId: newId('subs'),
    customerId: customer.customerId,
    email: customer.email,
    plan: {
      planId: price.plan.id,
      planCode: price.plan.code,
      priceId: price.priceId,
      usagePriceId: price.usagePriceId,
      amountCents: price.amountCents,
      interval: price.interval,
      trialDays: price.plan.trialDays,
      signupFee: null,
      currency: price.currency,
    },
  };
}

const countOf = async (orm: MikroORM, sql: string, params: unknown[] = []) =>
  num((await sqlFor(orm.em.fork()).rows<{ n: unknown }>(sql, params))[0]?.n);

// ---------------------------------------------------------------------------------------------------
// 1. Starts a second.

interface StartRound {
  accepted: number;
  acceptedRate: number;
  throughRate: number;
  p50: number;
  p99: number;
  failures: number;
}

async function startRound(
  orm: MikroORM,
  temporal: Client,
  customer: { customerId: string; email: string },
  price: PlanPrice,
  seconds: number,
): Promise<StartRound> {
  const latencies: number[] = [];
  let failures = 0;
  let sample = '';
  const t0 = Date.now();
  const deadline = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: START_CONCURRENCY }, async () => {
      while (Date.now() < deadline) {
        const input = checkoutInput(customer, price);
        const t = performance.now();
        try {
          await temporal.workflow.start(workflowType('subscriptionWorkflow'), {
            workflowId: workflowIds.subscription(input.subscriptionId),
            taskQueue: STARTS_QUEUE,
            args: [input],
          });
          latencies.push(performance.now() - t);
        } catch (err) {
          failures++;
          sample ||= String(err);
        }
      }
    }),
  );
  const window = elapsed(t0);
  const accepted = latencies.length;
  if (failures) console.error(`[scale] ${failures} starts failed, e.g. ${sample}`);
  // The round is over once the worker has run every accepted start's first activity (its record).
  await until(
    'the worker to record every started subscription',
    async () =>
      (await countOf(orm, 'select count(*) as n from subscriptions where customer_id = ?', [
        customer.customerId,
      ])) >= accepted,
    180_000,
    200,
  );
  const through = elapsed(t0);
  latencies.sort((a, b) => a - b);
  return {
    accepted,
    acceptedRate: accepted / window,
    throughRate: accepted / through,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    failures,
  };
}

// ---------------------------------------------------------------------------------------------------
// 2. What the workers hold.

interface WorkerState {
  rssMb: number;
  cached: number;
  evictions: number;
  hits: number;
  misses: number;
}

function rssMb(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

async function workerStates(cluster: Cluster): Promise<WorkerState[]> {
  return Promise.all(
    cluster.urls.workerMetrics.map(async (url, i) => {
      // A worker restarting just then (the supervisor brings it back) leaves a gap, not a failed run.
      const samples = await scrape(url, cluster.metricsToken).catch(() => null);
      if (!samples) return { rssMb: NaN, cached: NaN, evictions: NaN, hits: NaN, misses: NaN };
      return {
        rssMb: rssMb(cluster.process(`worker-${i + 1}`).pid),
        cached: total(samples, 'temporal_sticky_cache_size'),
        evictions: total(samples, 'temporal_sticky_cache_total_forced_eviction_total'),
        hits: total(samples, 'temporal_sticky_cache_hit_total'),
        misses: total(samples, 'temporal_sticky_cache_miss_total'),
      };
    }),
  );
}

/** The SDK's default maxCachedWorkflows (the engine sets none): 600 per GiB of V8 heap limit above 200 MiB. */
function defaultCacheSize(cluster: Cluster): { heapMiB: number; cache: number } {
  // Read in a process started as the workers are, so options the benchmark itself runs with do not count.
  const out = spawnSync(
    process.execPath,
    ['-e', 'console.log(require("v8").getHeapStatistics().heap_size_limit)'],
    { env: { ...cluster.engineEnv }, encoding: 'utf8' },
  );
  const heapMiB = Number(out.stdout.trim()) / 1024 / 1024;
  return { heapMiB, cache: Math.max(Math.floor((Math.max(heapMiB - 200, 0) * 600) / 1024), 10) };
}

interface Made {
  clock: string;
  periodEnd: number;
}

// ---------------------------------------------------------------------------------------------------
// 3. The renewal run's sampling.

interface Probe {
  at: number;
  invoiced: number;
  backlog: number;
  workers: Sample[];
  apis: Sample[];
}

async function probe(cluster: Cluster, orm: MikroORM, t0: number): Promise<Probe> {
  const [workers, apis, invoiced, backlog] = await Promise.all([
    Promise.all(cluster.urls.workerMetrics.map((u) => scrape(u, cluster.metricsToken))).then((a) => a.flat()),
    Promise.all(cluster.urls.apiMetrics.map((u) => scrape(u, cluster.metricsToken))).then((a) => a.flat()),
    renewalsInvoiced(orm),
    countOf(orm, 'select count(*) as n from webhook_events where forwarded_at is null'),
  ]);
  return { at: elapsed(t0), invoiced, backlog, workers, apis };
}

const renewalsInvoiced = (orm: MikroORM) =>
  countOf(
    orm,
    `select count(*) as n from invoices i join customers c on c.id = i.customer_id
      where c.user_id like 'scale-%' and i.billing_reason = 'subscription_cycle' and i.status = 'paid'`,
  );

const WFT_LATENCY = 'temporal_workflow_task_schedule_to_start_latency_seconds';
const ACTIVITY_LATENCY = 'temporal_activity_schedule_to_start_latency_seconds';
const FORWARD_LAG = 'billing_webhook_forward_lag_seconds';

// ---------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const s = settingsFrom(process.argv.slice(2));
  const log = (line: string) => console.error(`[scale ${new Date().toISOString().slice(11, 19)}] ${line}`);
  const loadAtStart = loadavg();
  const machine = () =>
    `${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}, load ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' / ')} (at start ${loadAtStart.map((l) => l.toFixed(1)).join(' / ')})`;
  const dir = mkdtempSync(join(tmpdir(), 'bench-scale-'));
  // PostgreSQL runs as its own user when this runs as root, and must reach its data folder.
  chmodSync(dir, 0o755);
  log(`starting the cluster in ${dir}`);
  const cluster = await startCluster({
    dir,
    ports: 'free',
    stripeEmulator: { stateFile: false, webhookConcurrency: WEBHOOK_CONCURRENCY },
    log: (l) => console.error(`[cluster] ${l}`),
  });
  const connection = await Connection.connect({ address: cluster.urls.temporal });
  const temporal = new Client({ connection, namespace: cluster.namespace });
  const orm = await openDatabase(cluster.urls.databaseUrl, { migrate: false });
  const stripe = createStripeClient({ apiBase: cluster.urls.stripe, timeoutMs: 120_000 })!;
  // Tables on stdout as each part ends (progress goes to stderr), so a run stopped later keeps them.
  const print = (line = '') => console.log(line);
  try {
    print(`\nbench:scale — ${s.quick ? 'quick run, ' : ''}${fmt(s.subscriptions)} subscriptions\n`);
    const price = await resolvePlanPrice(orm.em.fork(), 'starter', 'monthly');

    // ----- 1. starts a second, alternating rounds -----
    log('starts: the dev server and a worker for each server');
    const dev = await startDevServer(dir, cluster.namespace);
    const devConnection = await Connection.connect({ address: dev.address });
    const backends = [
      {
        name: 'Temporal on PostgreSQL (cluster)',
        client: new Client({ connection, namespace: cluster.namespace }),
        worker: await startEngineWorker(dir, cluster, 'starts-worker-pg', cluster.urls.temporal),
      },
      {
        name: 'Temporal CLI dev server (SQLite)',
        client: new Client({ connection: devConnection, namespace: cluster.namespace }),
        worker: await startEngineWorker(dir, cluster, 'starts-worker-dev', dev.address),
      },
    ];
    const rounds = new Map<string, StartRound[]>(backends.map((b) => [b.name, []]));
    let customers = 0;
    const roundCustomer = () => onboard(temporal, cluster.taskQueue, `starts-${++customers}`, false);
    for (const b of backends) await startRound(orm, b.client, await roundCustomer(), price, 2);
    for (let r = 0; r < s.rounds; r++) {
      // Each server goes first in every other round, so a drift of the machine falls on both.
      for (const b of r % 2 === 0 ? backends : [...backends].reverse()) {
        const result = await startRound(orm, b.client, await roundCustomer(), price, s.roundSeconds);
        rounds.get(b.name)!.push(result);
        log(
          `starts round ${r + 1}, ${b.name}: ${fmt(result.acceptedRate)} accepted/s, ${fmt(result.throughRate)} recorded/s`,
        );
      }
    }
    for (const b of backends) await b.worker.stop();
    await devConnection.close();
    await dev.server.stop();

    print(`1. Subscription starts a second — ${machine()}`);
    print(
      `   ${START_CONCURRENCY} in flight from one client, ${s.rounds} round(s) of ${s.roundSeconds} s per server, alternating (after 2 s of warm-up each);`,
    );
    print(
      '   one engine worker process per server on a queue of its own; min / median / max over the rounds',
    );
    print();
    print(
      `   ${'server'.padEnd(34)} ${'accepted /s'.padStart(20)} ${'recorded /s'.padStart(20)} ${'start p50 ms'.padStart(20)} ${'start p99 ms'.padStart(22)}`,
    );
    const medians: Record<string, { accepted: number; through: number }> = {};
    for (const b of backends) {
      const rs = rounds.get(b.name)!;
      medians[b.name] = {
        accepted: median(rs.map((x) => x.acceptedRate))!,
        through: median(rs.map((x) => x.throughRate))!,
      };
      print(
        `   ${b.name.padEnd(34)} ${spread(rs.map((x) => x.acceptedRate)).padStart(20)} ${spread(
          rs.map((x) => x.throughRate),
        ).padStart(20)} ${spread(
          rs.map((x) => x.p50),
          1,
        ).padStart(20)} ${spread(
          rs.map((x) => x.p99),
          1,
        ).padStart(22)}`,
      );
    }
    const [pg, devName] = backends.map((b) => medians[b.name]!);
    print();
    print(
      `   PostgreSQL ÷ dev server (medians): accepted ${fmt(pg!.accepted / devName!.accepted, 2)}, recorded ${fmt(
        pg!.through / devName!.through,
        2,
      )}`,
    );
    print(
      `   "Accepted" is the server writing each new workflow's history; "recorded" adds the worker running its first task and activity (the subscription's row). ${
        pg!.through / pg!.accepted < 0.9 || devName!.through / devName!.accepted < 0.9
          ? 'Where recorded is below accepted, the one worker is what a burst of sign-ups waits on, not the server.'
          : 'Recorded follows accepted: the worker keeps up with the server.'
      }`,
    );
    print();

    // ----- 2. live subscriptions, and what the workers hold -----
    const { heapMiB, cache } = defaultCacheSize(cluster);
    log(`making ${s.subscriptions} subscriptions in Stripe, ${s.checkpoints} steps`);
    const made: Made[] = [];
    const baseline = await workerStates(cluster);
    const steps: { live: number; seconds: number; workers: WorkerState[] }[] = [
      { live: 0, seconds: 0, workers: baseline },
    ];
    let index = 0;
    for (let c = 1; c <= s.checkpoints; c++) {
      const upto = Math.round((s.subscriptions * c) / s.checkpoints);
      const batch = Array.from({ length: upto - index }, () => index++);
      const t = Date.now();
      await inParallel(batch, MAKE_CONCURRENCY, async (i) => {
        const customer = await onboard(temporal, cluster.taskQueue, `scale-${i}`, true);
        const sub = await stripe.subscriptions.create({
          customer: customer.stripeCustomerId!,
          items: [{ price: price.priceId }, ...(price.usagePriceId ? [{ price: price.usagePriceId }] : [])],
          default_payment_method: 'pm_card_visa',
        });
        const periodEnd = sub.items.data[0]?.current_period_end;
        if (typeof sub.test_clock !== 'string' || !periodEnd)
          throw new Error(`subscription ${sub.id} has no test clock or period`);
        made.push({ clock: sub.test_clock, periodEnd });
      });
      await until(
        `${upto} subscriptions active in the engine`,
        async () =>
          (await countOf(
            orm,
            `select count(*) as n from subscriptions s join customers c on c.id = s.customer_id
              where c.user_id like 'scale-%' and s.status = 'active'`,
          )) >= upto,
        120_000 + 500 * batch.length,
        1000,
      );
      const seconds = elapsed(t);
      // The mirror runs each new subscription started (its card, its first charge) finish in a moment.
      await sleep(3_000);
      steps.push({ live: upto, seconds, workers: await workerStates(cluster) });
      log(`${upto} live (${fmt(batch.length / seconds)} made a second)`);
    }

    print(`2. Live subscription workflows the workers hold — ${machine()}`);
    print(
      `   ${s.subscriptions} subscriptions made in Stripe (customer by the onboarding workflow, subscription in the emulator with a card,`,
    );
    print(
      "   its workflow started by the engine from Stripe's webhooks), in steps; RSS and sticky cache of each of the cluster's two workers",
    );
    print(
      `   sticky cache limit per worker: maxCachedWorkflows ${fmt(cache)} (the SDK's default for a ${fmt(heapMiB)} MiB heap limit; the engine sets none)`,
    );
    print();
    print(
      `   ${'live subscriptions'.padStart(18)} ${'made /s'.padStart(8)}   ${'worker-1 cached'.padStart(15)} ${'RSS MB'.padStart(7)}   ${'worker-2 cached'.padStart(15)} ${'RSS MB'.padStart(7)}   ${'forced evictions'.padStart(16)}`,
    );
    steps.forEach((st, i) => {
      const [w1, w2] = st.workers;
      const rate = i > 0 ? fmt((st.live - steps[i - 1]!.live) / st.seconds, 1) : '';
      print(
        `   ${fmt(st.live).padStart(18)} ${rate.padStart(8)}   ${fmt(w1?.cached).padStart(15)} ${fmt(w1?.rssMb).padStart(7)}   ${fmt(w2?.cached).padStart(15)} ${fmt(w2?.rssMb).padStart(7)}   ${fmt((w1?.evictions ?? 0) + (w2?.evictions ?? 0)).padStart(16)}`,
      );
    });
    // MB per 1,000 cached: each worker's RSS growth over each step its cache grew by a fair amount.
    const perThousand: number[] = [];
    for (let i = 1; i < steps.length; i++)
      for (let w = 0; w < 2; w++) {
        const a = steps[i - 1]!.workers[w]!;
        const b = steps[i]!.workers[w]!;
        const grew = b.cached - a.cached;
        if (grew >= Math.max(20, s.subscriptions / s.checkpoints / 10))
          perThousand.push(((b.rssMb - a.rssMb) / grew) * 1000);
      }
    const last = steps[steps.length - 1]!.workers;
    const evictions = last.reduce((n, w) => n + w.evictions, 0);
    const overall = last.map(
      (w, i) => ((w.rssMb - baseline[i]!.rssMb) / Math.max(1, w.cached - baseline[i]!.cached)) * 1000,
    );
    print();
    print(
      `   RSS per 1,000 cached workflows: ${perThousand.length ? spread(perThousand, 1) : '-'} MB (each worker, each step the cache grew; min / median / max),`,
    );
    print(
      `   ${overall.map((v, i) => `worker-${i + 1} ${fmt(v, 1)} MB`).join(', ')} from the start to the end`,
    );
    print(
      `   ${
        evictions > 0
          ? `Memory grows with the workflows cached until the cache is full (${fmt(cache)} a worker); past that the cache stays full, the least recently used run is evicted (${fmt(evictions)} times here), and its next event costs a replay of its history instead of memory.`
          : `Memory grows with the workflows cached, each live subscription being cached on one worker; ${fmt(s.subscriptions)} stayed under the cache limit (${fmt(cache)} a worker), so none was evicted.`
      }`,
    );
    print();

    // ----- 3. the renewal run -----
    log(`renewal run: advancing ${made.length} test clocks past their period end`);
    const before = await probe(cluster, orm, Date.now());
    const events0 = await countOf(orm, 'select count(*) as n from webhook_events');
    const t0 = Date.now();
    const samples: Probe[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        await sleep(s.sampleMs);
        if (!sampling) break;
        // A scrape missed (a process restarting) leaves a longer window, not a failed run.
        const p = await probe(cluster, orm, t0).catch(
          (err: unknown) => void log(`sample lost: ${String(err)}`),
        );
        if (p) samples.push(p);
      }
    })();
    await inParallel(made, ADVANCE_CONCURRENCY, async (m) => {
      await stripe.testHelpers.testClocks.advance(m.clock, { frozen_time: m.periodEnd + 3600 });
    });
    const stripeDone = elapsed(t0);
    log(`Stripe renewed them all in ${fmt(stripeDone, 1)} s; waiting for the engine`);
    const marks: Record<number, number> = {};
    let invoiced = 0;
    let timedOut = false;
    const budgetMs = 300_000 + 300 * s.subscriptions;
    try {
      await until(
        `${s.subscriptions} renewal invoices paid in the engine`,
        async () => {
          invoiced = await renewalsInvoiced(orm);
          for (const p of [50, 90, 100])
            if (marks[p] === undefined && invoiced >= (s.subscriptions * p) / 100) marks[p] = elapsed(t0);
          return invoiced >= s.subscriptions;
        },
        budgetMs,
        250,
      );
    } catch (err) {
      timedOut = true;
      log(String(err));
    }
    const allDone = elapsed(t0);
    sampling = false;
    await sampler;
    const after = await probe(cluster, orm, t0);
    samples.push(after);
    const events = (await countOf(orm, 'select count(*) as n from webhook_events')) - events0;
    const workersAfter = await workerStates(cluster);

    // Per window: each quantile of the tasks scheduled in it; then min / median / max over the windows.
    const windows = (samplesOf: (p: Probe) => Sample[], base: string, q: number) => {
      const values: number[] = [];
      let prev = before;
      for (const p of samples) {
        const v = quantile(minus(histogram(samplesOf(p), base), histogram(samplesOf(prev), base)), q);
        if (v) values.push(v.value * 1000);
        prev = p;
      }
      return values.length ? spread(values, 1) : '-';
    };
    const whole = (samplesOf: (p: Probe) => Sample[], base: string, q: number) =>
      ms(quantile(minus(histogram(samplesOf(after), base), histogram(samplesOf(before), base)), q));
    const W = (p: Probe) => p.workers;
    const A = (p: Probe) => p.apis;
    const received = (p: Probe) =>
      total(p.apis, 'billing_webhook_events_total', (l) => l.outcome === 'received');
    const forwarded = (p: Probe) =>
      total(
        p.apis,
        'billing_webhook_events_total',
        (l) => l.outcome === 'forwarded' || l.outcome === 'ignored',
      );
    const sum = (ws: WorkerState[], k: keyof WorkerState) => ws.reduce((n, w) => n + w[k], 0);
    const hits = sum(workersAfter, 'hits') - sum(last, 'hits');
    const misses = sum(workersAfter, 'misses') - sum(last, 'misses');
    const backlogMax = Math.max(0, ...samples.map((p) => p.backlog));
    const rate = invoiced / (marks[100] ?? allDone);

    print(`3. The renewal run of ${fmt(s.subscriptions)} subscriptions — ${machine()}`);
    print(
      `   each customer's test clock moved past its period end, ${ADVANCE_CONCURRENCY} at a time; Stripe sends webhooks ${WEBHOOK_CONCURRENCY} at a time`,
    );
    print(
      `   through nginx; latencies sampled every ${s.sampleMs / 1000} s (min / median / max over the samples)`,
    );
    print();
    const row = (what: string, value: string) => print(`   ${what.padEnd(58)} ${value}`);
    row('renewal invoices paid in Stripe (all clocks advanced)', `after ${fmt(stripeDone, 1)} s`);
    row(
      `renewal invoices paid in the engine's invoices table`,
      `${fmt(invoiced)} of ${fmt(s.subscriptions)}${timedOut ? ` (gave up after ${fmt(allDone)} s)` : ''}`,
    );
    row(
      '  half / 90 % / all of them there after',
      [50, 90, 100].map((p) => `${fmt(marks[p], 1)} s`).join(' / '),
    );
    row('  renewals invoiced a second (all ÷ time until all)', fmt(rate, 1));
    row(
      'Stripe webhooks received; each API forwarded (or ignored)',
      `${fmt(events)}; ${fmt(forwarded(after) - forwarded(before))} of ${fmt(received(after) - received(before))}`,
    );
    row('webhooks waiting to be forwarded, at most', fmt(backlogMax));
    row(
      'forward lag, event at the API to its workflow: p50 / p99 ms',
      `${whole(A, FORWARD_LAG, 0.5)} / ${whole(A, FORWARD_LAG, 0.99)} (per sample p99 ${windows(A, FORWARD_LAG, 0.99)})`,
    );
    row(
      'workflow task schedule-to-start: p50 / p99 ms',
      `${whole(W, WFT_LATENCY, 0.5)} / ${whole(W, WFT_LATENCY, 0.99)} (per sample p99 ${windows(W, WFT_LATENCY, 0.99)})`,
    );
    row(
      'activity schedule-to-start: p50 / p99 ms',
      `${whole(W, ACTIVITY_LATENCY, 0.5)} / ${whole(W, ACTIVITY_LATENCY, 0.99)} (per sample p99 ${windows(W, ACTIVITY_LATENCY, 0.99)})`,
    );
    row('sticky cache hits / misses (a miss replays the history)', `${fmt(hits)} / ${fmt(misses)}`);
    row('forced evictions during the run', fmt(sum(workersAfter, 'evictions') - sum(last, 'evictions')));
    print();
    print(
      `   The time to invoice grows with the number due at once, ${fmt(1000 / rate, 1)} ms of the cluster's time per renewal here` +
        ` (${fmt(events / Math.max(1, invoiced), 1)} webhooks each): ${fmt(s.subscriptions)} due in the same minute are all invoiced` +
        ` ${fmt((marks[100] ?? allDone) / 60, 1)} min later, of which Stripe's own part (the emulator renewing them) took ${fmt(stripeDone / 60, 1)} min.`,
    );
    const restarts = ['api-1', 'api-2', 'worker-1', 'worker-2', 'temporal', 'stripe', 'balancer']
      .map((n) => [n, cluster.process(n).restarts] as const)
      .filter(([, n]) => n > 0);
    if (restarts.length)
      print(`   Restarted during the run: ${restarts.map(([n, k]) => `${n} ×${k}`).join(', ')}.`);
  } finally {
    for (const p of started) await p.stop();
    await orm.close();
    await connection.close();
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error((err as Error).stack ?? String(err));
  process.exit(1);
});
