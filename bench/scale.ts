/**
 * `npm run bench:scale [-- --subscriptions 10000] [--quick] [--no-starts] [--growth] [--migration]`: how the engine's cost grows
 * with the number of subscriptions, on the production topology (tools/cluster: Temporal on PostgreSQL, two APIs behind nginx,
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
 *    that is still the engine's own: each customer onboarded as a sign-in onboards them (an
 *    identity with no Keycloak user, so access syncs find no one to write to), its subscription made in
 *    Stripe directly (as in Stripe's dashboard, card on file), whose webhooks make the engine start the
 *    subscription's workflow. At checkpoints, each worker's RSS and sticky cache (the SDK's metrics):
 *    MB per 1,000 cached workflows, and what happens once the cache is full.
 * 3. The renewal run: every subscription's Stripe test clock (one per customer, as the cluster gives them)
 *    moved past its period end at once, 16 clocks at a time; then the time until the engine's `invoices`
 *    table holds all N renewal invoices as paid, with the workers' task latencies (schedule-to-start
 *    histograms) and the APIs' webhook forwarding sampled meanwhile.
 * 4. `--growth`: parts 2 and 3 for a tenth of N, then part 2 for the rest and part 3 for all N at once (the
 *    first tenth renewing their second period), and the ratio of the two renewal runs' time per renewal.
 * 5. `--migration`: part 2, then instead of the renewal run a price change on the whole book, rehearsed and
 *    then migrated (bench/scale-migration.ts).
 *
 * Every figure is a ratio or a min / median / max within the one run: machines, and the same machine from
 * one session to the next, differ several times over. The emulator runs without its state file (rewritten
 * whole after every change, it would cost more than Stripe's part at this size) and sends at most
 * WEBHOOK_CONCURRENCY webhooks at once. `--quick`: 200 subscriptions, one round of starts, to try it.
 * `--no-starts`: parts 2 and 3 only; the start rate does not depend on N, and at 10,000 every minute of the
 * run counts. Each part logs its progress to stderr, so a run stopped early still says how far it got.
 * Of the caller's environment, the engine's processes get only the workers' Temporal settings
 * (`WORKER_MAX_CACHED_WORKFLOWS=6000 npm run bench:scale`, tools/cluster/topology.ts WORKER_SETTINGS) and the
 * APIs' STRIPE_EVENT_FORWARD_LANES and API_DATABASE_POOL_MAX (tools/cluster/cluster.ts): any other setting
 * exported for an experiment does not reach them.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { MikroORM } from '@mikro-orm/core';
import { withoutTemporalTls } from '../config/temporal-tls';
import { newId } from '../db/ids';
import { openDatabase } from '../db/orm';
import { num, sqlFor } from '../db/raw-sql';
import { createStripeClient } from '../integrations/stripe/client';
import type { PlanPrice } from '../db/plan-prices';
import { resolvePlanPrice } from '../services/subscriptions/plan-price';
import { subscriptionPlanOf } from '../services/subscriptions/start-checkout';
import { workflowType } from '../services/temporal/workflow-type';
import { startCluster, type Cluster } from '../tools/cluster/cluster';
import { workerTuning } from '../tools/cluster/topology';
import { workflowIds } from '../workflows/ids';
import { ALL_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import type { SubscriptionInput } from '../workflows/subscription';
import { percentile, spread } from './load';
import { measureMigration } from './scale-migration';
import { scaleGoals } from './scale-goals';
import { makeSubscriber } from '../services/setup/seed-book';
import { onboardCustomer } from '../services/customers/onboard';
import { watchCoreSpeed, type CoreSpeed } from './core-speed';
import {
  cpuByPart,
  cpuSpent,
  machineCpu,
  threadCpu,
  watchPostgresBackends,
  type CpuByPart,
} from './process-cpu';

/* eslint-disable @typescript-eslint/no-require-imports */
const { ensureTemporalCli, DEV_SERVER_DYNAMIC_CONFIG } = require('../tools/temporal-cli') as {
  ensureTemporalCli(opts?: { log?: (l: string) => void }): string;
  DEV_SERVER_DYNAMIC_CONFIG: string[];
};
const { freePort } = require('../tools/free-port') as { freePort(): Promise<number> };
/* eslint-enable @typescript-eslint/no-require-imports */

const ROOT = resolve(__dirname, '..');
const STARTS_QUEUE = 'scale-starts';
const START_CONCURRENCY = 32;
const MAKE_CONCURRENCY = 16;
/** How many processes the step-by-step CPU table shows, the costliest first. */
const STEP_CPU_PARTS = 8;
const ADVANCE_CONCURRENCY = 16;
/** Unbounded, the emulator opens a connection per event of a renewal burst, past the 1,024 nginx takes. */
const WEBHOOK_CONCURRENCY = 64;

interface Settings {
  subscriptions: number;
  quick: boolean;
  starts: boolean;
  /** Renew a tenth of them first, then all of them, to compare the cost of a renewal at both sizes. */
  growth: boolean;
  /** Instead of the renewal run: a price change rehearsed and migrated on the whole book (part 5). */
  migration: boolean;
  rounds: number;
  roundSeconds: number;
  checkpoints: number;
  sampleMs: number;
}

function settingsFrom(argv: string[]): Settings {
  let subscriptions: number | undefined;
  let quick = false;
  let starts = true;
  let growth = false;
  let migration = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') quick = true;
    else if (arg === '--no-starts') starts = false;
    else if (arg === '--growth') growth = true;
    else if (arg === '--migration') migration = true;
    else if (arg === '--subscriptions') {
      subscriptions = Number(argv[++i]);
      if (!Number.isInteger(subscriptions) || subscriptions < 10)
        throw new Error('--subscriptions needs a whole number of at least 10');
    } else
      throw new Error(
        `unknown argument ${String(arg)} (--subscriptions N, --quick, --no-starts, --growth, --migration)`,
      );
  }
  return {
    subscriptions: subscriptions ?? (quick ? 200 : 10_000),
    quick,
    starts,
    growth,
    migration,
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
 * The bucket a quantile of a histogram falls in. The SDK's buckets are coarse (0.1, 0.5, 1, 5, 10, 100 s),
 * so the bucket is what is known, not a value within it.
 */
function bucketOf(h: Map<number, number>, q: number): [number, number] | null {
  const count = h.get(Infinity) ?? 0;
  if (count <= 0) return null;
  let lower = 0;
  for (const bound of [...h.keys()].sort((a, b) => a - b)) {
    if (h.get(bound)! >= q * count) return [lower, bound];
    lower = bound;
  }
  return null;
}

/** Seconds as read: ms below a second. */
const sec = (v: number) => {
  const [n, unit] = v < 1 ? [v * 1000, 'ms'] : [v, 's'];
  return `${n.toLocaleString('en-US', { maximumFractionDigits: n < 10 ? 1 : 0 })} ${unit}`;
};

const range = (b: [number, number] | null) =>
  b === null
    ? '-'
    : b[0] === 0
      ? `≤ ${sec(b[1])}`
      : b[1] === Infinity
        ? `> ${sec(b[0])}`
        : `${sec(b[0])}–${sec(b[1])}`;

/** What a histogram observed between two scrapes: how many, their mean (exact, from the sum) and buckets. */
function observed(after: Sample[], before: Sample[], base: string) {
  const count = total(after, `${base}_count`) - total(before, `${base}_count`);
  const h = minus(histogram(after, base), histogram(before, base));
  return {
    count,
    mean: count > 0 ? (total(after, `${base}_sum`) - total(before, `${base}_sum`)) / count : NaN,
    p50: bucketOf(h, 0.5),
    p99: bucketOf(h, 0.99),
  };
}

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
    ...DEV_SERVER_DYNAMIC_CONFIG,
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

/**
 * One more engine worker, configured as the cluster's are, on `address` and the start-rate task queue. Like
 * every worker it makes sure the engine's long-running loops exist on its server, so the dev server runs
 * them beside the starts as the cluster does.
 */
function startEngineWorker(dir: string, cluster: Cluster, name: string, address: string): Promise<Started> {
  // The cluster's Temporal takes the engine's certificate; the dev server speaks plaintext.
  const env =
    address === cluster.urls.temporal ? { ...cluster.engineEnv } : withoutTemporalTls(cluster.engineEnv);
  return startProcess(
    dir,
    name,
    process.execPath,
    ['--import', 'tsx', 'worker/main.ts'],
    { ...env, TEMPORAL_ADDRESS: address, TEMPORAL_TASK_QUEUE: STARTS_QUEUE },
    (line) => line.includes('"worker running"'),
  );
}

// ---------------------------------------------------------------------------------------------------
// The engine's own steps, as its API and webhooks take them.

/** A customer record for an identity, onboarded as a sign-in onboards it (without Stripe here). */
async function onboard(orm: MikroORM, userId: string): Promise<{ customerId: string; email: string }> {
  const email = `${userId}@example.com`;
  const record = await onboardCustomer({ orm, stripe: null }, { userId, email, name: userId });
  return { customerId: record.customerId, email };
}

/** What checkout starts a subscription's workflow with. */
function checkoutInput(customer: { customerId: string; email: string }, price: PlanPrice): SubscriptionInput {
  return {
    subscriptionId: newId('subs'),
    customerId: customer.customerId,
    email: customer.email,
    plan: subscriptionPlanOf(price),
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

/** RSS readings a second apart, of which the least counts: garbage not yet collected inflates the others. */
const RSS_READINGS = 5;

async function settledRssMb(pid: number | undefined): Promise<number> {
  const readings: number[] = [];
  for (let i = 0; i < RSS_READINGS; i++) {
    if (i > 0) await sleep(1000);
    readings.push(rssMb(pid));
  }
  const read = readings.filter(Number.isFinite);
  return read.length ? Math.min(...read) : NaN;
}

async function workerStates(cluster: Cluster): Promise<WorkerState[]> {
  return Promise.all(
    cluster.urls.workerMetrics.map(async (url, i) => {
      const rss = await settledRssMb(cluster.process(`worker-${i + 1}`).pid);
      // A worker restarting just then (the supervisor brings it back) leaves a gap, not a failed run.
      const samples = await scrape(url, cluster.metricsToken).catch(() => null);
      if (!samples) return { rssMb: rss, cached: NaN, evictions: NaN, hits: NaN, misses: NaN };
      return {
        rssMb: rss,
        cached: total(samples, 'temporal_sticky_cache_size'),
        evictions: total(samples, 'temporal_sticky_cache_total_forced_eviction_total'),
        hits: total(samples, 'temporal_sticky_cache_hit_total'),
        misses: total(samples, 'temporal_sticky_cache_miss_total'),
      };
    }),
  );
}

/** Each worker's sticky cache: WORKER_MAX_CACHED_WORKFLOWS when the cluster passed it on, else the deployment's. */
function cacheSize(cluster: Cluster): { heapMiB: number; cache: number; set: boolean } {
  const { heapMiB, cache } = defaultCacheSize(cluster);
  const set = Number(workerTuning(process.env).WORKER_MAX_CACHED_WORKFLOWS);
  return Number.isInteger(set) && set > 0
    ? { heapMiB, cache: set, set: true }
    : { heapMiB, cache, set: false };
}

/** The SDK's default maxCachedWorkflows (what a worker takes without WORKER_MAX_CACHED_WORKFLOWS): 600 per GiB of V8 heap limit above 200 MiB. */
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

// ---------------------------------------------------------------------------------------------------
// 3. The renewal run's sampling.

const WFT_LATENCY = 'temporal_workflow_task_schedule_to_start_latency_seconds';
const ACTIVITY_LATENCY = 'temporal_activity_schedule_to_start_latency_seconds';
const FORWARD_LAG = 'billing_webhook_forward_lag_seconds';
const FORWARD_TIME = 'billing_webhook_forward_seconds';
const KEPT = [WFT_LATENCY, ACTIVITY_LATENCY, FORWARD_LAG, FORWARD_TIME, 'billing_webhook_events_total'];

interface Probe {
  at: number;
  backlog: number;
  workers: Sample[];
  apis: Sample[];
  apiRssMb: number[];
}

async function probe(cluster: Cluster, orm: MikroORM, t0: number): Promise<Probe> {
  // Only what the table reads is kept: an hour of samples of everything would be a lot of memory.
  const all = (urls: string[]) =>
    Promise.all(urls.map((u) => scrape(u, cluster.metricsToken))).then((a) =>
      a.flat().filter((x) => KEPT.some((k) => x.name.startsWith(k))),
    );
  const [workers, apis, backlog] = await Promise.all([
    all(cluster.urls.workerMetrics),
    all(cluster.urls.apiMetrics),
    countOf(orm, 'select count(*) as n from webhook_events where forwarded_at is null'),
  ]);
  const apiRssMb = ['api-1', 'api-2'].map((n) => rssMb(cluster.process(n).pid));
  return { at: elapsed(t0), backlog, workers, apis, apiRssMb };
}

const renewalsInvoiced = (orm: MikroORM) =>
  countOf(
    orm,
    `select count(*) as n from invoices i join customers c on c.id = i.customer_id
      where c.user_id like 'scale-%' and i.billing_reason = 'subscription_cycle' and i.status = 'paid'`,
  );

// ---------------------------------------------------------------------------------------------------
// Printing.

/** Columns padded to their widest cell: the first to the left, the others to the right unless `left`. */
function table(rows: string[][], left = false): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) =>
    r
      .map((cell, c) => (c === 0 || left ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
      .join('   ')
      .trimEnd(),
  );
}

const duration = (seconds: number | undefined) =>
  seconds === undefined ? '-' : seconds < 120 ? `${fmt(seconds, 1)} s` : `${fmt(seconds / 60, 1)} min`;

/** Milliseconds as read: one decimal below 10 ms, none above. */
const msList = (values: number[]) => (values.length ? spread(values, median(values)! < 10 ? 1 : 0) : '-');

interface Context {
  s: Settings;
  dir: string;
  cluster: Cluster;
  temporal: Client;
  orm: MikroORM;
  price: PlanPrice;
  print: (line?: string) => void;
  log: (line: string) => void;
  machine: () => string;
  /** The cores' speed through the run, to tell a slower machine from a costlier engine. */
  speed: CoreSpeed;
}

// ---------------------------------------------------------------------------------------------------

async function measureStarts(x: Context): Promise<void> {
  const { s, dir, cluster, temporal, orm, price, print, log } = x;
  log('starts: the dev server, and an engine worker for each server');
  const dev = await startDevServer(dir, cluster.namespace);
  const devConnection = await Connection.connect({ address: dev.address });
  try {
    const backends = [
      {
        name: 'Temporal on PostgreSQL (the cluster)',
        client: temporal,
        worker: await startEngineWorker(dir, cluster, 'starts-worker-pg', cluster.urls.temporal),
        rounds: [] as StartRound[],
      },
      {
        name: 'Temporal CLI dev server (SQLite file)',
        client: new Client({ connection: devConnection, namespace: cluster.namespace }),
        worker: await startEngineWorker(dir, cluster, 'starts-worker-dev', dev.address),
        rounds: [] as StartRound[],
      },
    ];
    // A customer of its own for each round, so its subscriptions' rows count that round alone.
    let customers = 0;
    const customer = () => onboard(orm, `starts-${++customers}`);
    for (const b of backends) await startRound(orm, b.client, await customer(), price, 2);
    for (let r = 0; r < s.rounds; r++) {
      // Each server goes first in every other round, so a drift of the machine falls on both.
      for (const b of r % 2 === 0 ? backends : [...backends].reverse()) {
        const result = await startRound(orm, b.client, await customer(), price, s.roundSeconds);
        b.rounds.push(result);
        log(
          `starts round ${r + 1}, ${b.name}: ${fmt(result.acceptedRate)} accepted/s, ${fmt(result.throughRate)} recorded/s`,
        );
      }
    }
    for (const b of backends) await b.worker.stop();

    print(`1. Subscription starts a second — ${x.machine()}`);
    print(
      `   ${START_CONCURRENCY} starts in flight from one client, ${s.rounds} round(s) of ${s.roundSeconds} s per server, the servers alternating (2 s of warm-up each first);`,
    );
    print(
      '   one engine worker process per server on a task queue of its own; min / median / max over the rounds',
    );
    print();
    const rows = [['server', 'accepted /s', 'recorded /s', 'start p50 ms', 'start p99 ms', 'failed']];
    for (const b of backends) {
      const r = b.rounds;
      rows.push([
        b.name,
        spread(r.map((v) => v.acceptedRate)),
        spread(r.map((v) => v.throughRate)),
        msList(r.map((v) => v.p50)),
        msList(r.map((v) => v.p99)),
        fmt(r.reduce((n, v) => n + v.failures, 0)),
      ]);
    }
    for (const line of table(rows)) print(`   ${line}`);
    const med = (b: (typeof backends)[number], k: 'acceptedRate' | 'throughRate') =>
      median(b.rounds.map((v) => v[k]))!;
    const [pg, devServer] = backends as [(typeof backends)[number], (typeof backends)[number]];
    const acceptedRatio = med(pg, 'acceptedRate') / med(devServer, 'acceptedRate');
    const recordedRatio = med(pg, 'throughRate') / med(devServer, 'throughRate');
    print();
    print(
      `   PostgreSQL ÷ dev server, medians: accepted ${fmt(acceptedRatio, 2)}, recorded ${fmt(recordedRatio, 2)}`,
    );
    const workerBound = backends.every((b) => med(b, 'throughRate') < 0.8 * med(b, 'acceptedRate'));
    print(
      `   Accepted is the server writing each new workflow's history; recorded adds the worker running its first task and activity` +
        ` (the subscription's row). ${
          workerBound
            ? "Recorded stays below accepted on both servers: a burst of sign-ups waits on the worker's share of the machine, and the server's rate only sets how fast the queue fills."
            : 'Recorded follows accepted: the one worker keeps up, and the server sets the rate.'
        }`,
    );
    print();
  } finally {
    await devConnection.close();
    await dev.server.stop();
  }
}

interface Made {
  subscription: string;
  clock: string;
  periodEnd: number;
}

interface Holding {
  made: Made[];
  /** The workers when the last subscription was live. */
  workers: WorkerState[];
  /** Subscriptions made a second at each step. */
  rates: number[];
}

/** Makes subscriptions `from` up to `to` (indices, so a second call adds to the first's). */
async function measureHolding(x: Context, from: number, to: number): Promise<Holding> {
  const { s, cluster, orm, price, print, log } = x;
  const count = to - from;
  const stripe = createStripeClient({ apiBase: cluster.urls.stripe, timeoutMs: 120_000 })!;
  const { heapMiB, cache, set } = cacheSize(cluster);
  log(`making ${fmt(count)} subscriptions in Stripe, in ${s.checkpoints} steps`);
  const made: Made[] = [];
  const steps: {
    live: number;
    seconds: number;
    workers: WorkerState[];
    cpu?: CpuByPart;
    jobMs?: number;
    coreS?: number;
  }[] = [{ live: from, seconds: 0, workers: await workerStates(cluster) }];
  let index = from;
  const cpu0 = cpuNow(cluster);
  const core0 = coreThreadNow(cluster);
  const events0 = await countOf(orm, 'select count(*) as n from webhook_events');
  const tasks0 = await probe(cluster, orm, Date.now());
  let makingSeconds = 0;
  for (let c = 1; c <= s.checkpoints; c++) {
    const upto = from + Math.round((count * c) / s.checkpoints);
    const batch = Array.from({ length: upto - index }, () => index++);
    const t = Date.now();
    const stepCpu0 = cpuNow(cluster);
    const stepCore0 = coreThreadNow(cluster);
    await inParallel(batch, MAKE_CONCURRENCY, async (i) => {
      const sub = await makeSubscriber({ orm, stripe }, `scale-${i}`, price);
      const periodEnd = sub.items.data[0]?.current_period_end;
      if (typeof sub.test_clock !== 'string' || !periodEnd)
        throw new Error(`subscription ${sub.id} has no test clock or period`);
      made.push({ subscription: sub.id, clock: sub.test_clock, periodEnd });
      if (made.length % 500 === 0) log(`${fmt(made.length)} made in Stripe`);
    });
    await until(
      `${upto} subscriptions active in the engine`,
      async () =>
        (await countOf(
          orm,
          `select count(*) as n from subscriptions s join customers c on c.id = s.customer_id
            where c.user_id like 'scale-%' and s.status = 'active'`,
        )) >= upto,
      // Only a broken run takes this long: the quick run made one in under a second on a busy machine.
      300_000 + 2_000 * batch.length,
      1000,
    );
    const seconds = elapsed(t);
    makingSeconds += seconds;
    // Read before the step's RSS readings, which are the benchmark's work, not the sign-ups'.
    const cpu = cpuSpent(cpuNow(cluster), stepCpu0);
    const coreS = coreThreadNow(cluster) - stepCore0;
    const jobMs = x.speed.jobMsBetween(t, Date.now());
    steps.push({ live: upto, seconds, workers: await workerStates(cluster), cpu, jobMs, coreS });
    log(`${fmt(upto)} live (${fmt(batch.length / seconds, 1)} made a second)`);
  }

  // Read before the checkpoints' own work below (RSS readings) adds to it.
  const makingCpu = cpuSpent(cpuNow(cluster), cpu0);
  const makingCore = coreThreadNow(cluster) - core0;
  const makingEvents = (await countOf(orm, 'select count(*) as n from webhook_events')) - events0;
  const tasks1 = await probe(cluster, orm, Date.now());
  // Where each went: the workflows it was handed to, or the mirror (webhook_events.workflow_id).
  const byType = await sqlFor(orm.em.fork()).rows<{ type: string; target: string | null; n: unknown }>(
    `select type, case when workflow_id is null then null
                       when workflow_id = 'payload-mirror' then 'payload mirror'
                       when workflow_id like 'superseded-by:%' then 'superseded'
                       else 'workflows' end as target, count(*) as n
       from webhook_events group by 1, 2 order by 3 desc, 1`,
  );
  const tasks = (base: string) => observed(tasks1.workers, tasks0.workers, base).count / count;
  // Which activities still ran as tasks (each a round trip through the server and a workflow task more).
  const byActivity = new Map<string, number>();
  for (const [probe, sign] of [
    [tasks1, 1],
    [tasks0, -1],
  ] as const)
    for (const x of probe.workers)
      if (x.name === `${ACTIVITY_LATENCY}_count`) {
        // The SDK labels the histogram by activity type only in some versions.
        const type = x.labels.activity_type;
        if (type) byActivity.set(type, (byActivity.get(type) ?? 0) + sign * x.value);
      }
  const activityTypes = [...byActivity]
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([type, n]) => `${type} ${fmt(n / count, 2)}`)
    .join(', ');
  print(`2. Live subscription workflows the workers hold — ${x.machine()}`);
  print(
    `   ${fmt(count)} subscriptions${from > 0 ? ` more (${fmt(from)} live before)` : ''} made ${MAKE_CONCURRENCY} at a time in ${s.checkpoints} steps: the customer onboarded as a sign-in, the subscription`,
  );
  print(
    "   in the emulator with a card; the engine starts each one's workflow from Stripe's webhooks. Per step, each of the cluster's two workers:",
  );
  print(
    `   its sticky cache (the SDK's metric) and RSS (the least of ${RSS_READINGS} readings a second apart). Cache limit per worker:`,
  );
  print(
    set
      ? `   maxCachedWorkflows ${fmt(cache)}, ${process.env.WORKER_MAX_CACHED_WORKFLOWS ? 'from WORKER_MAX_CACHED_WORKFLOWS' : "the deployment's default"} (the SDK's default for the ${fmt(heapMiB)} MiB heap limit: ${fmt(defaultCacheSize(cluster).cache)})`
      : `   maxCachedWorkflows ${fmt(cache)}, the SDK's default for a ${fmt(heapMiB)} MiB heap limit (WORKER_MAX_CACHED_WORKFLOWS unset)`,
  );
  print();
  const rows = [
    [
      'live subscriptions',
      'made /s',
      'worker-1 cached',
      'RSS MB',
      'worker-2 cached',
      'RSS MB',
      'forced evictions',
    ],
  ];
  steps.forEach((st, i) => {
    const [w1, w2] = st.workers as [WorkerState, WorkerState];
    rows.push([
      fmt(st.live),
      i > 0 ? fmt((st.live - steps[i - 1]!.live) / st.seconds, 1) : '',
      fmt(w1.cached),
      fmt(w1.rssMb),
      fmt(w2.cached),
      fmt(w2.rssMb),
      fmt(w1.evictions + w2.evictions),
    ]);
  });
  for (const line of table(rows)) print(`   ${line}`);
  // Step by step and worker by worker, from the first step on (the step from none carries each worker's
  // warm-up): RSS per 1,000 more cached while the cache grows, per 1,000 more live while it stays full.
  // A step in which the cache filled up is neither.
  const full = 0.95 * cache;
  const whileGrowing: number[] = [];
  const whileFull: number[] = [];
  for (let i = 2; i < steps.length; i++)
    for (let w = 0; w < 2; w++) {
      const a = steps[i - 1]!.workers[w]!;
      const b = steps[i]!.workers[w]!;
      // New subscriptions split about evenly between the two workers (whichever polls first).
      const liveEach = (steps[i]!.live - steps[i - 1]!.live) / 2;
      if (b.cached < full && b.cached > a.cached)
        whileGrowing.push(((b.rssMb - a.rssMb) / (b.cached - a.cached)) * 1000);
      else if (a.cached >= full) whileFull.push(((b.rssMb - a.rssMb) / liveEach) * 1000);
    }
  const last = steps[steps.length - 1]!.workers;
  const evictions = last.reduce((n, w) => n + w.evictions, 0);
  const rates = steps.slice(1).map((st, i) => (st.live - steps[i]!.live) / st.seconds);
  print();
  const figures = [
    [
      'RSS MB per 1,000 more cached, while the cache grows',
      whileGrowing.length ? spread(whileGrowing, 1) : '-',
    ],
    [
      'RSS MB per 1,000 more live, while the cache is full',
      whileFull.length ? spread(whileFull, 1) : '- (no step began with it full)',
    ],
  ];
  for (const line of table(figures)) print(`   ${line}   (each worker, each step after the first)`);
  print();
  print(
    `   ${
      evictions > 0 && whileFull.length > 0
        ? `Memory grows with the workflows cached until the cache is full at ${fmt(cache)} a worker; past that the cache stays full, the least recently used run is evicted (${fmt(evictions)} times here) and its next event costs a replay of its history instead of memory.`
        : evictions > 0
          ? `Memory grows with the workflows cached, each live subscription cached on one of the two workers; ${fmt(to)} stay under the cache limit (${fmt(cache)} a worker), so the ${fmt(evictions)} forced evictions were not for room: the SDK evicts a run whose workflow task failed or timed out, and its next event replays its history.`
          : `Memory grows with the workflows cached, each live subscription cached on one of the two workers; ${fmt(to)} stay under the cache limit (${fmt(cache)} a worker), so none was evicted and nothing was replayed.`
    } Making them went at ${spread(rates, 1)} a second over the steps (min / median / max).`,
  );
  print();
  print(
    `   Each sign-up brought ${fmt(makingEvents / count, 1)} Stripe webhook events, ${fmt(tasks(WFT_LATENCY), 1)} workflow tasks and ` +
      `${fmt(tasks(ACTIVITY_LATENCY), 1)} activity tasks${activityTypes ? ` (${activityTypes})` : ''}. The CPU it took (checkpoints' pauses included):`,
  );
  printCpu(print, makingCpu, count, makingSeconds, 'a sign-up');
  printCoreThread(print, makingCpu, makingCore, count, 'a sign-up');
  print();
  printCpuBySteps(print, steps);
  print();
  print('   The Stripe events so far, by type and where the APIs handed them (none: ignored, or not yet):');
  for (const line of table([
    ['type', 'handed to', 'events'],
    ...byType.map((r) => [r.type, r.target ?? 'none', fmt(num(r.n))]),
  ]))
    print(`   ${line}`);
  print();
  return { made, workers: last, rates };
}

/** The renewed subscriptions' next period ends, as Stripe has them now. */
async function nextPeriods(x: Context, made: Made[]): Promise<Made[]> {
  const stripe = createStripeClient({ apiBase: x.cluster.urls.stripe, timeoutMs: 120_000 })!;
  const out: Made[] = [];
  await inParallel(made, MAKE_CONCURRENCY, async (m) => {
    const sub = await stripe.subscriptions.retrieve(m.subscription);
    const periodEnd = sub.items.data[0]?.current_period_end;
    if (!periodEnd || periodEnd <= m.periodEnd)
      throw new Error(`subscription ${m.subscription} was not renewed (period end ${String(periodEnd)})`);
    out.push({ ...m, periodEnd });
  });
  return out;
}

interface Renewal {
  /** The cluster's time per renewal, ms. */
  msPerRenewal: number;
  /** From Stripe's part ending to the last renewal paid in the engine. */
  afterStripeSeconds: number;
  forwardLagP99: [number, number] | null;
  /** The fixed job's CPU ms during the run (the cores' speed). */
  jobMs: number | undefined;
}

/**
 * Renews `made` at once (each subscription's next period, whether or not it was renewed before) and returns
 * what the goals judge of it: the cluster's time per renewal, the wait after Stripe's part, the lag's p99.
 */
async function measureRenewal(x: Context, holding: Holding, made: Made[]): Promise<Renewal> {
  const { s, cluster, orm, print, log } = x;
  const stripe = createStripeClient({ apiBase: cluster.urls.stripe, timeoutMs: 120_000 })!;
  const due = made.length;
  const invoiced0 = await renewalsInvoiced(orm);
  const invoicedNow = async () => (await renewalsInvoiced(orm)) - invoiced0;
  log(`renewal run: advancing ${fmt(made.length)} test clocks past their period end`);
  const t0 = Date.now();
  const cpu0 = cpuNow(cluster);
  const core0 = coreThreadNow(cluster);
  const machine0 = machineCpu();
  const before = await probe(cluster, orm, t0);
  const events0 = await countOf(orm, 'select count(*) as n from webhook_events');
  const samples: Probe[] = [];
  let sampling = true;
  let loggedAt = 0;
  const sampler = (async () => {
    while (sampling) {
      await sleep(s.sampleMs);
      if (!sampling) break;
      // A scrape missed (a process restarting) leaves a longer window, not a failed run.
      const p = await probe(cluster, orm, t0).catch(
        (err: unknown) => void log(`sample lost: ${String(err)}`),
      );
      if (!p) continue;
      samples.push(p);
      // Read here rather than from the wait below, which starts only once Stripe's part is done.
      if (p.at - loggedAt >= 60) {
        loggedAt = p.at;
        const n = await invoicedNow().catch(() => NaN);
        log(`${duration(p.at)}: ${fmt(n)} of ${fmt(due)} invoiced, ${fmt(p.backlog)} webhooks waiting`);
      }
    }
  })();
  await inParallel(made, ADVANCE_CONCURRENCY, async (m) => {
    await stripe.testHelpers.testClocks.advance(m.clock, { frozen_time: m.periodEnd + 3600 });
  });
  const stripeDone = elapsed(t0);
  log(`Stripe renewed them all in ${duration(stripeDone)}; waiting for the engine`);
  const marks: Record<number, number> = {};
  let invoiced = 0;
  let gaveUp = false;
  try {
    await until(
      `${due} renewal invoices paid in the engine`,
      async () => {
        invoiced = await invoicedNow();
        for (const p of [50, 90, 100])
          if (marks[p] === undefined && invoiced >= (due * p) / 100) marks[p] = elapsed(t0);
        return invoiced >= due;
      },
      300_000 + 1_000 * due,
      250,
    );
  } catch (err) {
    gaveUp = true;
    log(String(err));
  }
  const end = elapsed(t0);
  const cpu = cpuSpent(cpuNow(cluster), cpu0);
  const coreS = coreThreadNow(cluster) - core0;
  const machine1 = machineCpu();
  const jobMs = x.speed.jobMsBetween(t0, Date.now());
  sampling = false;
  await sampler;
  const after = await probe(cluster, orm, t0);
  samples.push(after);
  const events = (await countOf(orm, 'select count(*) as n from webhook_events')) - events0;
  const workers = await workerStates(cluster);

  // The whole run's mean and buckets, and the mean of each window between samples (min / median / max).
  const latency = (of: (p: Probe) => Sample[], base: string) => {
    const all = observed(of(after), of(before), base);
    const means: number[] = [];
    let prev = before;
    for (const p of samples) {
      const w = observed(of(p), of(prev), base);
      if (w.count > 0) means.push(w.mean * 1000);
      prev = p;
    }
    return `${Number.isNaN(all.mean) ? '-' : sec(all.mean)}; p50 ${range(all.p50)}, p99 ${range(all.p99)}; per sample ${msList(means)} ms`;
  };
  const W = (p: Probe) => p.workers;
  const A = (p: Probe) => p.apis;
  const outcome = (p: Probe, ...outcomes: string[]) =>
    total(p.apis, 'billing_webhook_events_total', (l) => outcomes.includes(l.outcome ?? ''));
  const received = outcome(after, 'received') - outcome(before, 'received');
  // What the lanes spent on each kind of event: where the forward lag comes from.
  const laneTime = () =>
    ['mirrored', 'superseded', 'forwarded', 'ignored', 'failed']
      .flatMap((o) => {
        const of = (p: Probe, part: string) =>
          total(p.apis, `${FORWARD_TIME}_${part}`, (l) => l.outcome === o);
        const n = of(after, 'count') - of(before, 'count');
        return n > 0
          ? [`${o} ${fmt(((of(after, 'sum') - of(before, 'sum')) / n) * 1000, 1)} ms (${fmt(n)})`]
          : [];
      })
      .join(', ') || '-';
  const handed =
    outcome(after, 'forwarded', 'ignored', 'mirrored', 'superseded') -
    outcome(before, 'forwarded', 'ignored', 'mirrored', 'superseded');
  const mirrored = outcome(after, 'mirrored') - outcome(before, 'mirrored');
  const superseded = outcome(after, 'superseded') - outcome(before, 'superseded');
  const sum = (ws: WorkerState[], k: keyof WorkerState) => ws.reduce((n, w) => n + w[k], 0);
  const delta = (k: keyof WorkerState) => sum(workers, k) - sum(holding.workers, k);
  const done = marks[100] ?? end;
  const rate = invoiced / done;
  const apiRss = (i: number) =>
    `${fmt(before.apiRssMb[i])} → ${fmt(Math.max(...samples.map((p) => p.apiRssMb[i] ?? NaN)))}`;

  print(`3. The renewal run of ${fmt(due)} subscriptions due at once — ${x.machine()}`);
  print(
    `   each customer's test clock moved past its period end, ${ADVANCE_CONCURRENCY} at a time; the emulator sends the webhooks ${WEBHOOK_CONCURRENCY} at a time`,
  );
  print(
    `   through nginx. Latencies: the mean over the run (exact), the buckets its p50 and p99 fall in, and the mean of each`,
  );
  print(`   ${s.sampleMs / 1000}-s window between samples, min / median / max`);
  print();
  const rows: string[][] = [
    ['renewal invoices paid in Stripe (every clock advanced)', `after ${duration(stripeDone)}`],
    [
      "renewal invoices paid in the engine's invoices table",
      `${fmt(invoiced)} of ${fmt(due)}${gaveUp ? `, given up after ${duration(end)}` : ''}`,
    ],
    ['  half / 90 % / all of them there after', [50, 90, 100].map((p) => duration(marks[p])).join(' / ')],
    ['  renewals invoiced a second (all ÷ the time until all)', fmt(rate, 1)],
    [
      'Stripe webhook events received',
      `${fmt(events)} (${fmt(events / Math.max(1, invoiced), 1)} a renewal)`,
    ],
    [
      '  handed on by the two APIs (to workflows or the mirror)',
      `${fmt(handed)} for ${fmt(received)} received${handed > received ? ` (${fmt(handed - received)} twice)` : ''}`,
    ],
    ['    of which mirrored from the payload by the APIs', fmt(mirrored)],
    ['    of which left to a later copy of the invoice, waiting behind', fmt(superseded)],
    ['  waiting to be handed over, at most', fmt(Math.max(0, ...samples.map((p) => p.backlog)))],
    ['  forward lag, API to workflow: mean', latency(A, FORWARD_LAG)],
    ["  a lane's time an event, by what became of it: mean", laneTime()],
    ['  API RSS MB, before → most (api-1, api-2)', `${apiRss(0)}, ${apiRss(1)}`],
    ['workflow task schedule-to-start: mean', latency(W, WFT_LATENCY)],
    ['activity schedule-to-start: mean', latency(W, ACTIVITY_LATENCY)],
    [
      'sticky cache hits / misses (a miss replays the history)',
      `${fmt(delta('hits'))} / ${fmt(delta('misses'))}`,
    ],
    ['forced evictions', fmt(delta('evictions'))],
  ];
  for (const line of table(rows, true)) print(`   ${line}`);
  print();
  print(
    `   The time to invoice grows with the number due at once: ${fmt(1000 / rate, 0)} ms of the cluster's time per renewal here` +
      ` (${fmt(events / Math.max(1, invoiced), 1)} webhooks each), so ${fmt(due)} due in the same minute are all invoiced` +
      ` ${duration(done)} later, of which the emulator renewing them in Stripe took ${duration(stripeDone)}.`,
  );
  printCpu(print, cpu, invoiced, end);
  printCoreThread(print, cpu, coreS, invoiced, 'a renewal');
  const spent = (k: 'busy' | 'idle' | 'iowait') => machine1[k] - machine0[k];
  print(
    `   The machine over the same time: ${fmt(spent('busy') / end, 2)} cores busy (anything running, this run's or not), ` +
      `${fmt(spent('idle') / end, 2)} idle and ${fmt(spent('iowait') / end, 2)} idle waiting on the disk; ` +
      `a fixed job took ${jobMs === undefined ? '-' : fmt(jobMs, 1)} ms of CPU (the cores' speed, as in the sign-ups' steps).`,
  );
  const restarts = ['api-1', 'api-2', 'api-access', 'worker-1', 'worker-2', 'temporal', 'stripe', 'balancer']
    .map((n) => [n, cluster.process(n).restarts] as const)
    .filter(([, n]) => n > 0);
  if (restarts.length)
    print(`   Restarted during the run: ${restarts.map(([n, k]) => `${n} ×${k}`).join(', ')}.`);
  print();
  return {
    msPerRenewal: 1000 / rate,
    // A run that gave up never had them all paid.
    afterStripeSeconds: gaveUp ? Infinity : done - stripeDone,
    forwardLagP99: observed(A(after), A(before), FORWARD_LAG).p99,
    jobMs,
  };
}

const CLUSTER_PARTS = [
  'api-1',
  'api-2',
  'api-access',
  'worker-1',
  'worker-2',
  'temporal',
  'stripe',
  'balancer',
  'keycloak',
];

/** Watched from the first reading on, so a backend's CPU stays its role's after its connection closes. */
let backends: ReturnType<typeof watchPostgresBackends> | undefined;

/** The cluster's processes and this one (its sampling and polling), in CPU seconds so far. */
function cpuNow(cluster: Cluster) {
  backends ??= watchPostgresBackends();
  const parts = cpuByPart(
    Object.fromEntries(CLUSTER_PARTS.map((n) => [n, cluster.process(n).pid])),
    backends.ended(),
  );
  const own = process.cpuUsage();
  parts.set('this benchmark', (own.user + own.system) / 1e6);
  return parts;
}

// The Temporal SDK core's thread that takes every workflow task, activation and completion of a worker. For
// each of them it walks the whole sticky cache (to count the runs being evicted), so its CPU per unit of work
// grows with the runs a worker holds, where the rest of the worker's does not.
const CORE_WORKFLOW_THREAD = 'workflow-processing';

/** The two workers' core workflow threads, CPU seconds so far. */
function coreThreadNow(cluster: Cluster): number {
  return threadCpu(
    ['worker-1', 'worker-2'].map((n) => cluster.process(n).pid),
    CORE_WORKFLOW_THREAD,
  );
}

/** The workers' core workflow thread beside their whole CPU: the part that grows with the runs cached. */
function printCoreThread(
  print: (l?: string) => void,
  cpu: CpuByPart,
  coreS: number,
  units: number,
  unit: string,
) {
  const workers = (cpu.get('worker-1') ?? 0) + (cpu.get('worker-2') ?? 0);
  if (!(workers > 0)) return;
  print(
    `   Of the workers' ${fmt((1000 * workers) / Math.max(1, units), 1)} ms ${unit}, the SDK core's workflow thread took ${fmt((1000 * coreS) / Math.max(1, units), 1)} ms (${fmt((100 * coreS) / workers, 0)} %): it walks every cached run for each task and activation.`,
  );
}

/** Where the run's CPU went, per renewal: the figure that says which process to make cheaper. */
function printCpu(
  print: (l?: string) => void,
  cpu: Map<string, number>,
  units: number,
  seconds: number,
  unit = 'a renewal',
) {
  const all = cpuTotal(cpu);
  const rows = [...cpu.entries()]
    .filter(([, s]) => s >= 0.05)
    .sort((a, b) => b[1] - a[1])
    .map(([part, s]) => [
      part,
      fmt(s, 1),
      fmt((1000 * s) / Math.max(1, units), 1),
      `${fmt((100 * s) / all, 0)} %`,
    ]);
  rows.push(['all', fmt(all, 1), fmt((1000 * all) / Math.max(1, units), 1), '100 %']);
  print(
    `   CPU by process over the ${duration(seconds)} of the run (${fmt(all / seconds, 2)} cores busy on average):`,
  );
  for (const line of table([['process', 'CPU s', `CPU ms ${unit}`, 'share'], ...rows])) print(`   ${line}`);
}

/**
 * A sign-up's CPU step by step, for the processes that cost most: the process whose share grows with the
 * subscriptions live is the one that slows sign-ups down as the book grows.
 */
function printCpuBySteps(
  print: (l?: string) => void,
  steps: { live: number; cpu?: CpuByPart; jobMs?: number; coreS?: number }[],
) {
  const measured = steps.flatMap((st, i) =>
    st.cpu && i > 0
      ? [
          {
            live: st.live,
            cpu: st.cpu,
            jobMs: st.jobMs,
            coreS: st.coreS,
            made: st.live - steps[i - 1]!.live,
          },
        ]
      : [],
  );
  if (measured.length === 0) return;
  const total = new Map<string, number>();
  for (const st of measured) for (const [part, s] of st.cpu) total.set(part, (total.get(part) ?? 0) + s);
  const parts = [...total.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, STEP_CPU_PARTS)
    .map(([part]) => part);
  const msEach = (seconds: number, made: number) => fmt((1000 * seconds) / Math.max(1, made), 1);
  print(`   CPU ms a sign-up step by step (the ${STEP_CPU_PARTS} processes that cost most, and all):`);
  const rows = [
    ['live at the end', ...parts, 'all', 'workers: core thread', 'fixed job'],
    ...measured.map((st) => [
      fmt(st.live),
      ...parts.map((p) => msEach(st.cpu.get(p) ?? 0, st.made)),
      msEach(cpuTotal(st.cpu), st.made),
      st.coreS === undefined ? '-' : msEach(st.coreS, st.made),
      st.jobMs === undefined ? '-' : fmt(st.jobMs, 1),
    ]),
  ];
  for (const line of table(rows)) print(`   ${line}`);
  print(
    "   (workers: core thread: the part of the two workers' CPU spent in the SDK core's workflow thread, which walks every cached run for each workflow task and activation, so it grows with the runs each worker holds)",
  );
  print(
    "   (fixed job: the CPU ms of one fixed job done in a process of its own during the step, the cores' speed; when every process's CPU grows with it, the machine slowed down, not the engine)",
  );
}

/** The CPU seconds of every process together. */
function cpuTotal(cpu: CpuByPart): number {
  return [...cpu.values()].reduce((a, b) => a + b, 0);
}

// ---------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const s = settingsFrom(process.argv.slice(2));
  const log = (line: string) => console.error(`[scale ${new Date().toISOString().slice(11, 19)}] ${line}`);
  const loadAtStart = loadavg();
  const machine = () =>
    `${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}, load ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' / ')} (${loadAtStart.map((l) => l.toFixed(1)).join(' / ')} before the cluster)`;
  const dir = mkdtempSync(join(tmpdir(), 'bench-scale-'));
  // PostgreSQL runs as its own user when this runs as root, and must reach its data folder.
  chmodSync(dir, 0o755);
  const t0 = Date.now();
  const speed = await watchCoreSpeed();
  log(`starting the cluster in ${dir}`);
  const cluster = await startCluster({
    dir,
    ports: 'free',
    stripeEmulator: { stateFile: false, webhookConcurrency: WEBHOOK_CONCURRENCY },
    compiled: true,
    log: (l) => console.error(`[cluster] ${l}`),
  });
  const connection = await Connection.connect(cluster.temporalConnection);
  const orm = await openDatabase(cluster.urls.databaseUrl, { migrate: false });
  try {
    const x: Context = {
      s,
      dir,
      cluster,
      temporal: new Client({ connection, namespace: cluster.namespace }),
      orm,
      price: await resolvePlanPrice(orm.em.fork(), 'starter', 'monthly'),
      // Tables go to stdout as each part ends (progress to stderr), so a run stopped later keeps them.
      print: (line = '') => console.log(line),
      log,
      machine,
      speed,
    };
    x.print(
      `\nbench:scale — ${s.quick ? 'quick run, ' : ''}${fmt(s.subscriptions)} subscriptions on the production topology (tools/cluster), loopback\n`,
    );
    if (s.starts) await measureStarts(x);
    else log('starts: skipped (--no-starts)');
    if (s.migration) {
      await measureHolding(x, 0, s.subscriptions);
      await measureMigration(x);
    } else if (!s.growth) {
      const holding = await measureHolding(x, 0, s.subscriptions);
      await measureRenewal(x, holding, holding.made);
    } else {
      // One invocation, so the two figures are a ratio of the same machine's minutes.
      const first = Math.round(s.subscriptions / 10);
      const small = await measureHolding(x, 0, first);
      const atFirst = await measureRenewal(x, small, small.made);
      const renewed = await nextPeriods(x, small.made);
      const large = await measureHolding(x, first, s.subscriptions);
      const atAll = await measureRenewal(x, large, [...renewed, ...large.made]);
      x.print(
        `4. Growth: ${fmt(atAll.msPerRenewal, 0)} ms of the cluster's time per renewal with ${fmt(s.subscriptions)} due at once, ` +
          `${fmt(atFirst.msPerRenewal, 0)} ms with ${fmt(first)}: ${fmt(atAll.msPerRenewal / atFirst.msPerRenewal, 2)} times (the goal: at most 1.2).` +
          (atAll.jobMs !== undefined && atFirst.jobMs !== undefined
            ? ` The fixed job took ${fmt(atAll.jobMs / atFirst.jobMs, 2)} times as much CPU during the large renewal as during the small (the cores' speed).`
            : ''),
      );
      x.print();
      const goals = scaleGoals({
        large: s.subscriptions,
        small: first,
        msPerRenewalLarge: atAll.msPerRenewal,
        msPerRenewalSmall: atFirst.msPerRenewal,
        afterStripeSeconds: atAll.afterStripeSeconds,
        forwardLagP99: atAll.forwardLagP99,
        signUpRates: large.rates,
      });
      x.print(`5. The billing day's goals (issue 44), from this run — ${x.machine()}`);
      const rows = [
        ['goal', 'measured', ''],
        ...goals.map((g) => [g.goal, g.measured, g.met ? 'met' : 'NOT met']),
      ];
      for (const line of table(rows)) x.print(`   ${line}`);
      if (s.subscriptions !== 10_000)
        x.print(
          '   (The goals are set for 10,000 due at once and 1,000; this run judges its own sizes by them.)',
        );
      x.print();
    }
    log(`done in ${duration(elapsed(t0))}`);
  } finally {
    speed.stop();
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
