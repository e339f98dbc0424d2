/**
 * Revenue endpoints on a large book: seeds N customers (default 100,000) with one subscription each and a
 * year of invoices into an embedded SQLite database (or, with BENCH_DB=postgresql, a throwaway PostgreSQL
 * cluster), then times /admin/revenue and /admin/billing/stats: computed afresh (cold) by the use cases the
 * routes call, here in this process on the same database, as the API does on a cache miss; and served from
 * the API's short-lived cache (warm) over HTTP by the API as production runs it, in a process of its own
 * (bench/api-process.ts). Then the admin lists, first page and half-way down. It also counts the Stripe
 * list requests that paging through Stripe (100 objects a page, as the seeds did) would need for the same
 * figures.
 *
 *   npm run bench:revenue              # 100,000 customers
 *   BENCH_CUSTOMERS=20000 BENCH_CALLS=100 npm run bench:revenue
 *   BENCH_DB=postgresql npm run bench:revenue
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Knex, SqlEntityManager } from '@mikro-orm/knex';
import { openDatabase } from '../db/orm';
import { newId } from '../db/ids';
import { encodeCursor } from '../db/keyset-pagination';
import { arrCents } from '../domain/plan-change';
import { billingStats } from '../services/revenue/stats';
import { revenueSummary } from '../services/revenue/summary';
import { revenueTimeseries } from '../services/revenue/timeseries';
import { revenueByTier } from '../services/revenue/tiers';
import { startTestIdp } from '../test/helpers/auth';
import { startApiProcess, type ApiProcess } from './api-process';

const CUSTOMERS = Number(process.env.BENCH_CUSTOMERS ?? 100_000);
const CALLS = Number(process.env.BENCH_CALLS ?? 50);
const DIALECT = process.env.BENCH_DB === 'postgresql' ? 'postgresql' : 'sqlite';
const DIALECT_NAME = DIALECT === 'postgresql' ? 'PostgreSQL' : 'SQLite';
/** Columns the seed fills with epoch milliseconds: SQLite stores those as they are, PostgreSQL as timestamptz. */
const TIME_COLUMN = /(^at$|_at$|^trial_end$)/;
const DAY_MS = 86_400_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const DAY = 86_400_000;
const STRIPE_PAGE = 100;
const TIERS = [
  { tier: 'starter', month: 1900, year: 19000 },
  { tier: 'professional', month: 4900, year: 49000 },
  { tier: 'enterprise', month: 9900, year: 99000 },
] as const;

const amountOf = (s: { tier: (typeof TIERS)[number]; yearly: boolean }) =>
  s.yearly ? s.tier.year : s.tier.month;

/** A small deterministic generator, so every run seeds the same book. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1_664_525 + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

const asStored = (row: Record<string, unknown>) =>
  DIALECT === 'sqlite'
    ? row
    : Object.fromEntries(
        Object.entries(row).map(([k, v]) => [
          k,
          TIME_COLUMN.test(k) && typeof v === 'number' ? new Date(v) : v,
        ]),
      );

async function insertAll(knex: Knex, table: string, rows: Record<string, unknown>[]) {
  // knex writes a multi-row insert for SQLite as a compound SELECT, which SQLite caps at 500 terms.
  const chunk = 400;
  for (let i = 0; i < rows.length; i += chunk)
    await knex(table).insert(rows.slice(i, i + chunk).map(asStored));
}

/** A fresh database of the benchmark's dialect, and how to throw it away. */
async function freshDatabase(): Promise<{ url: string; drop(): void }> {
  if (DIALECT === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'bench-revenue-'));
    return {
      url: `sqlite:${join(dir, 'billing.sqlite')}`,
      drop: () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startThrowawayCluster, createDatabase } = require('../tools/postgres');
  const pg = await startThrowawayCluster({ durable: true });
  return { url: createDatabase(pg.url, 'bench_revenue'), drop: pg.stop };
}

async function seed(knex: Knex, now: number) {
  const rand = rng(42);
  let invoicesIn30d = 0;
  let subscriptions = 0;
  let changeCount = 0;
  const batch = 10_000;
  for (let from = 0; from < CUSTOMERS; from += batch) {
    const customers: Record<string, unknown>[] = [];
    const subs: Record<string, unknown>[] = [];
    const invoices: Record<string, unknown>[] = [];
    const charges: Record<string, unknown>[] = [];
    const changes: Record<string, unknown>[] = [];
    for (let i = from; i < Math.min(CUSTOMERS, from + batch); i++) {
      const created = now - Math.floor(rand() * 730) * DAY - Math.floor(rand() * DAY);
      const customerId = newId('cust', created);
      customers.push({
        id: customerId,
        user_id: `bench-${i}`,
        email: `bench-${i}@example.com`,
        roles: '[]',
        stripe_customer_id: `cus_bench${i}`,
        created_at: created,
        updated_at: created,
      });
      const plan = TIERS[Math.floor(rand() * TIERS.length)]!;
      const yearly = rand() < 0.15;
      const roll = rand();
      const status =
        roll < 0.72
          ? 'active'
          : roll < 0.77
            ? 'trialing'
            : roll < 0.8
              ? 'past_due'
              : roll < 0.82
                ? 'paused'
                : 'canceled';
      const endedAt = status === 'canceled' ? created + Math.floor(rand() * (now - created)) : null;
      const subId = newId('subs', created);
      subscriptions++;
      // The history the mirror writes: paying (or trialing) from creation; some move a tier up, some a tier
      // down, between creation and now (or their end); then the final state at its time.
      const startedAt = status === 'trialing' ? now - 4 * DAY : created;
      let state = { status: status === 'trialing' ? 'trialing' : 'active', tier: plan, yearly };
      let lastAt = startedAt;
      const record = (when: number, next: typeof state) => {
        // Never before the previous change: the history must run forward.
        const at = Math.max(when, lastAt);
        lastAt = at;
        changes.push({
          id: newId('sch', at),
          subscription_id: subId,
          customer_id: customerId,
          currency: 'usd',
          at,
          old_amount_cents: amountOf(state),
          new_amount_cents: amountOf(next),
          old_interval: state.yearly ? 'year' : 'month',
          new_interval: next.yearly ? 'year' : 'month',
          old_status: state.status,
          new_status: next.status,
          old_tier: state.tier.tier,
          new_tier: next.tier.tier,
        });
        state = next;
      };
      changes.push({
        id: newId('sch', startedAt),
        subscription_id: subId,
        customer_id: customerId,
        currency: 'usd',
        at: startedAt,
        old_amount_cents: amountOf(state),
        new_amount_cents: amountOf(state),
        old_interval: state.yearly ? 'year' : 'month',
        new_interval: state.yearly ? 'year' : 'month',
        old_status: 'incomplete',
        new_status: state.status,
        old_tier: plan.tier,
        new_tier: plan.tier,
      });
      const move = rand();
      const tierIndex = TIERS.indexOf(plan);
      if (status !== 'trialing' && move < 0.12) {
        const to = TIERS[move < 0.08 ? Math.min(tierIndex + 1, 2) : Math.max(tierIndex - 1, 0)]!;
        if (to !== plan)
          record(created + Math.floor(rand() * ((endedAt ?? now) - created)), { ...state, tier: to });
      }
      if (status === 'canceled') record(endedAt!, { ...state, status });
      if (status === 'paused') record(now - 10 * DAY, { ...state, status });
      if (status === 'past_due') record(now - 20 * DAY, { ...state, status });
      const amount = amountOf(state);
      subs.push({
        id: subId,
        customer_id: customerId,
        plan_id: `plan_${state.tier.tier}_v1`,
        tier: state.tier.tier,
        status,
        interval: yearly ? 'year' : 'month',
        amount_cents: amount,
        currency: 'usd',
        stripe_subscription_id: `sub_bench${i}`,
        trial_end: status === 'trialing' ? now + 3 * DAY : null,
        cancel_at_period_end: 0,
        canceled_at: endedAt,
        ended_at: endedAt,
        paused_at: status === 'paused' ? now - 10 * DAY : null,
        arr_cents: arrCents(status, { amountCents: amount, interval: yearly ? 'year' : 'month' }),
        created_at: startedAt,
        updated_at: endedAt ?? created,
      });
      if (status === 'trialing') continue;
      // A year of invoices: monthly ones each 30 days back from the end, yearly ones once.
      const last = endedAt ?? now;
      const step = yearly ? 365 * DAY : 30 * DAY;
      for (let t = last - step / 2; t > Math.max(created, now - 365 * DAY); t -= step) {
        const paid = !(status === 'past_due' && t > now - 30 * DAY);
        if (paid && t > now - 30 * DAY) invoicesIn30d++;
        const invoiceId = newId('inv', t);
        invoices.push({
          id: invoiceId,
          stripe_invoice_id: `in_${invoiceId}`,
          customer_id: customerId,
          subscription_id: subId,
          status: paid ? 'paid' : 'open',
          subtotal_cents: amount,
          total_cents: amount,
          amount_due_cents: amount,
          amount_paid_cents: paid ? amount : 0,
          paid_at: paid ? t : null,
          created_at: t,
          updated_at: t,
        });
        if (t > now - 30 * DAY) {
          charges.push({
            id: newId('chg', t),
            stripe_charge_id: `ch_${invoiceId}`,
            customer_id: customerId,
            invoice_id: invoiceId,
            amount_cents: amount,
            status: paid ? 'succeeded' : 'failed',
            paid: paid ? 1 : 0,
            created_at: t,
          });
        }
      }
    }
    await knex.transaction(async (trx) => {
      await insertAll(trx, 'customers', customers);
      await insertAll(trx, 'subscriptions', subs);
      await insertAll(trx, 'subscription_changes', changes);
      await insertAll(trx, 'invoices', invoices);
      if (charges.length) await insertAll(trx, 'charges', charges);
    });
    changeCount += changes.length;
    process.stdout.write(`\r  seeded ${Math.min(CUSTOMERS, from + batch).toLocaleString()} customers`);
  }
  process.stdout.write('\n');
  const [{ n: invoiceCount }] = (await knex('invoices').count({ n: '*' })) as [{ n: number }];
  const [{ n: activeSubs }] = (await knex('subscriptions')
    .whereIn('status', ['active', 'past_due'])
    .count({ n: '*' })) as [{ n: number }];
  return {
    subscriptions,
    changes: changeCount,
    invoices: Number(invoiceCount),
    invoicesIn30d,
    activeSubs: Number(activeSubs),
  };
}

type Row = { v: number | string; id: string };

/** A time as the list cursors hold it: SQLite gives epoch ms, PostgreSQL's driver `2025-11-27 08:52:33.1+00`. */
const epochMs = (v: number | string) =>
  typeof v === 'number' ? v : Date.parse(v.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00'));

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function main() {
  const db = await freshDatabase();
  const orm = await openDatabase(db.url);
  const idp = await startTestIdp();
  let api: ApiProcess | null = null;
  try {
    const knex = (orm.em.fork() as unknown as SqlEntityManager).getKnex();
    console.log(`Seeding ${CUSTOMERS.toLocaleString()} customers into ${DIALECT_NAME} …`);
    const t0 = performance.now();
    const book = await seed(knex, Date.now());
    // The planner statistics a long-lived database has; the indexes are the migrations' own. On PostgreSQL
    // also the visibility map autovacuum keeps: without it a count reads the heap (42 ms for 100,000
    // customers just after the seed, 8 ms once vacuumed).
    await knex.raw(DIALECT === 'postgresql' ? 'vacuum analyze' : 'analyze');
    console.log(
      `  ${book.subscriptions.toLocaleString()} subscriptions, ${book.changes.toLocaleString()} subscription ` +
        `changes, ${book.invoices.toLocaleString()} invoices ` +
        `in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );

    api = await startApiProcess({
      databaseUrl: db.url,
      oidc: { issuer: idp.issuer, jwksUrl: idp.jwksUrl },
    });
    const port = api.port;
    const token = await idp.token({ email: 'bench@example.com', roles: ['admin'] });
    const get = async (path: string) => {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`${path}: ${res.status} ${text.slice(0, 500)}`);
    };
    const time = async (calls: number, call: (i: number) => Promise<unknown>) => {
      const times: number[] = [];
      for (let i = 0; i < calls; i++) {
        const start = performance.now();
        await call(i);
        times.push(performance.now() - start);
      }
      return times.sort((a, b) => a - b);
    };
    const now = () => new Date();
    // What each route computes on a cache miss (its handler's call, currency defaulted).
    const computations = {
      '/api/v1/admin/revenue': () => revenueSummary(orm.em.fork(), { now: now(), currency: 'usd' }),
      '/api/v1/admin/billing/stats': () => billingStats(orm.em.fork(), { now: now(), currency: 'usd' }),
    };
    console.log(
      `\nLatency over ${CALLS} calls each (${DIALECT_NAME}; cold: the use case in this process, warm: HTTP to the API):`,
    );
    for (const [path, compute] of Object.entries(computations)) {
      await compute(); // warm-up: statement cache, page cache
      await get(path); // the API's own warm-up, and its cache filled
      for (const [mode, times] of [
        ['cold', await time(CALLS, compute)],
        ['warm', await time(CALLS, () => get(path))],
      ] as const) {
        const verdict = percentile(times, 99) < 100 ? 'within' : 'OVER';
        console.log(
          `  ${path.padEnd(30)} ${mode}  p50 ${percentile(times, 50).toFixed(1)} ms   p99 ${percentile(times, 99).toFixed(1)} ms   (${verdict} the 100 ms target)`,
        );
      }
    }
    // The console's revenue page: what its requests compute, in parallel as the browser sends them, cold.
    const overview = () => {
      const to = isoDay(Date.now());
      const from = isoDay(Date.now() - 29 * DAY_MS);
      return Promise.all([
        revenueSummary(orm.em.fork(), { now: now(), currency: 'usd' }),
        revenueByTier(orm.em.fork(), { now: now(), currency: 'usd' }),
        revenueTimeseries(orm.em.fork(), { from, to, interval: 'day', currency: 'usd' }),
      ]);
    };
    const consoleTimes = await time(Math.min(CALLS, 10), overview);
    console.log(
      `  console revenue page (3 figures in parallel, cold)  p50 ${percentile(consoleTimes, 50).toFixed(1)} ms   max ${consoleTimes[consoleTimes.length - 1]!.toFixed(1)} ms   (target: under 1 s)`,
    );
    // The console's customer search over HTTP: a fragment of an email, first page.
    const searchTimes = await time(CALLS, (i) =>
      get(`/api/v1/admin/billing/customers?email=${i % 10}${i % 7}@&limit=25`),
    );
    console.log(
      `  console customer search by email fragment       p50 ${percentile(searchTimes, 50).toFixed(1)} ms   p99 ${percentile(searchTimes, 99).toFixed(1)} ms   (target: under 200 ms)`,
    );

    // The admin lists at this book: the first page, and a page half-way down through a cursor (keyset
    // paging, so as cheap as the first), over HTTP as the console asks for them.
    const middle = async (table: string, column: string, order: 'asc' | 'desc') => {
      const result = (await knex.raw(
        `select ${column} as v, id from ${table} order by ${column} ${order}, id ${order} limit 1 offset (select count(*) / 2 from ${table})`,
      )) as Row[] | { rows: Row[] };
      const [row] = Array.isArray(result) ? result : result.rows;
      return encodeCursor(column === 'email' ? row!.v : epochMs(row!.v), row!.id);
    };
    const lists: [string, string][] = [
      ['customers, newest first', '/api/v1/admin/billing/customers?limit=25'],
      ['customers by email', '/api/v1/admin/billing/customers?limit=25&sort=email'],
      ['subscriptions, newest first', '/api/v1/admin/billing/subscriptions?limit=25'],
      ['recent charges', '/api/v1/admin/billing/recent-charges?limit=25'],
    ];
    const deep: Record<string, string> = {
      'customers, newest first': await middle('customers', 'created_at', 'desc'),
      'customers by email': await middle('customers', 'email', 'asc'),
      'subscriptions, newest first': await middle('subscriptions', 'created_at', 'desc'),
      'recent charges': await middle('charges', 'created_at', 'desc'),
    };
    console.log('  admin lists over HTTP, 25 a page (target: under 20 ms):');
    for (const [label, path] of lists) {
      await get(path);
      const first = await time(CALLS, () => get(path));
      const down = `${path}&cursor=${deep[label]}`;
      await get(down);
      const deeper = await time(CALLS, () => get(down));
      console.log(
        `    ${label.padEnd(28)} first page p50 ${percentile(first, 50).toFixed(1)} ms p99 ${percentile(first, 99).toFixed(1)} ms   half-way page p50 ${percentile(deeper, 50).toFixed(1)} ms p99 ${percentile(deeper, 99).toFixed(1)} ms`,
      );
    }

    // What the seeds did instead: list every object through Stripe's API, 100 per request.
    const pages = (n: number) => Math.ceil(n / STRIPE_PAGE);
    const revenueCalls = pages(book.subscriptions) + pages(book.invoicesIn30d);
    const statsCalls = pages(CUSTOMERS) + pages(book.activeSubs);
    console.log('\nStripe list requests the seeds’ approach would make for the same book (100 per page):');
    console.log(
      `  /admin/revenue        ${revenueCalls.toLocaleString()} (subscriptions ${pages(book.subscriptions).toLocaleString()} + invoices of the last 30 days ${pages(book.invoicesIn30d).toLocaleString()})`,
    );
    console.log(
      `  /admin/billing/stats  ${statsCalls.toLocaleString()} (customers ${pages(CUSTOMERS).toLocaleString()} + active subscriptions ${pages(book.activeSubs).toLocaleString()})`,
    );
    console.log(
      `  at Stripe's live read limit of 100 requests/s, about ${Math.ceil(revenueCalls / 100)} s and ${Math.ceil(statsCalls / 100)} s per call, before latency`,
    );
  } finally {
    await api?.stop();
    await idp.stop();
    await orm.close();
    db.drop();
  }
}

main().catch((err: Error) => {
  console.error(err.message.slice(0, 2000));
  process.exitCode = 1;
});
