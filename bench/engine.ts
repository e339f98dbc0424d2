/**
 * The engine as the benchmarks drive it: the API as production runs it (`api/main.ts`, every route and
 * middleware; Temporal out of reach, which report_usage, check-access and the invoice list never call) in a
 * process of its own (bench/api-process.ts), on a database the benchmark owns and seeds first, beside a bare
 * Koa server in another process whose answers are the ceiling of what HTTP alone allows there. It seeds
 * customers the gateway reports usage for (enterprise, no daily cap), each with a handful of paid monthly
 * invoices and a card, and one professional customer whose 10,000-a-day cap puts the counter cache on
 * check-access's path.
 *
 * SQLite is a file in a temporary directory (WAL, synchronous=FULL); PostgreSQL a throwaway cluster with
 * fsync and synchronous_commit on: an answered event is on disk in both.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Koa from 'koa';
import { PaymentMethod, UsageEvent } from '../db/entities';
import { newId } from '../db/ids';
import { addGrant } from '../db/credit-ledger';
import { PLAN_CATALOG } from '../domain/plan-catalog';
import { openDatabase } from '../db/orm';
import { sqlFor, type Sql } from '../db/raw-sql';
import { addToDailyUsage } from '../db/usage-ledger';
import { startTestIdp } from '../test/helpers/auth';
import { seedSubscriber, seedSubscribers } from '../test/usage/seed-subscriber';
import { startApiProcess, type Priority } from './api-process';
import { seedPaidInvoices } from './seed-invoices';
import type { Target } from './load';

export type Dialect = 'sqlite' | 'postgresql';

/** The subject the subjects phase's events name, each seeded customer holding a budget for it. */
export const BENCH_SUBJECT = 'bench-project';

export interface Ready {
  usagePort: number;
  /** A second API process serving only the access lane (API_SERVES=access), when asked for. */
  accessPort: number | null;
  /** The priority it runs at, when it could be set. */
  accessPriority: Priority | null;
  ceilingPort: number;
  /** The AI gateway's token (billing-gateway role). */
  gatewayToken: string;
  checkToken: string;
  /** The seeded customers' user ids, and each one's own token. */
  customers: string[];
  customerTokens: string[];
  /**
   * Customers whose every report takes the credit ledger's path: a prepaid grant and a blocking spend cap
   * (both far from reached), and one of them for check-access.
   */
  creditCustomers: string[];
  creditCheckToken: string;
  /** Customers on a plan with a daily cap (professional: 10,000 calls), untouched by the other phases. */
  capCustomers: string[];
  /** Many more customers (enterprise, nothing else), for a gateway whose customers each report seldom. */
  manyCustomers: string[];
}

/** The API process's CPU time, its event loop, and the ledger's group commits so far. */
export interface Probe {
  /** CPU time of every thread. */
  cpuMicros: number;
  /** The main thread's event loop: time busy, and time in all. */
  loopBusyMs: number;
  loopMs: number;
  commits: number;
  commitMs: number;
  reports: number;
  /** Looks at customers' credit alerts after their reports. */
  alertLooks: number;
}

export interface Engine {
  dialect: Dialect;
  ready: Ready;
  /** The API's figures so far, or the ceiling server's. */
  probe(server?: 'api' | 'ceiling' | 'access'): Promise<Probe>;
  /** Usage events stored. */
  stored(): Promise<number>;
  /** PostgreSQL's time by statement (`statements: true` on PostgreSQL), else null. */
  statements: StatementTimes | null;
  stop(): Promise<void>;
}

/** What pg_stat_statements counted since its last reset: planning and running, by statement. */
export interface StatementTimes {
  reset(): Promise<void>;
  /** The statements that took the most time, with their calls and milliseconds planning and running. */
  top(n: number): Promise<{ text: string; calls: number; planMs: number; runMs: number }[]>;
  /** Milliseconds planning and running, every statement together. */
  total(): Promise<{ planMs: number; runMs: number }>;
}

function statementsOf(sql: () => Sql): StatementTimes {
  // A prepared statement's EXECUTEs are counted under its PREPARE's text.
  const shape = `left(regexp_replace(regexp_replace(query, '^prepare \\S+ as ', ''), '\\s+', ' ', 'g'), 48)`;
  // What the benchmark asks the extension itself is not the engine's work.
  const engines = `from pg_stat_statements where query not like '%pg_stat_statements%'`;
  return {
    async reset() {
      await sql().run('select pg_stat_statements_reset()');
    },
    async top(n) {
      const rows = await sql().run<{ text: string; calls: string; plan: number; run: number }>(
        `select ${shape} as text, sum(calls) as calls, sum(total_plan_time) as plan, sum(total_exec_time) as run
         ${engines}
         group by 1 order by sum(total_plan_time + total_exec_time) desc limit ?`,
        [n],
      );
      return rows.map((r) => ({
        text: r.text,
        calls: Number(r.calls),
        planMs: Number(r.plan),
        runMs: Number(r.run),
      }));
    },
    async total() {
      const [r] = await sql().run<{ plan: number | null; run: number | null }>(
        `select sum(total_plan_time) as plan, sum(total_exec_time) as run ${engines}`,
      );
      return { planMs: Number(r?.plan ?? 0), runMs: Number(r?.run ?? 0) };
    },
  };
}

export const CUSTOMERS = 50;

/** A catalog plan's included credits a period. */
const includedCredits = (code: string): number => {
  const plan = PLAN_CATALOG.find((p) => p.code === code);
  if (!plan) throw new Error(`no plan ${code} in the catalog`);
  return plan.includedCredits;
};
/** Capped customers: one a run of the gateway client's overspend benchmark. */
const CAP_CUSTOMERS = 5;
/** Paid invoices of each seeded customer: the "handful" a customer's invoice list shows. */
export const INVOICES_PER_CUSTOMER = 5;

/**
 * The ceiling: Koa reading the body as the API's body reader does (bytes, then JSON) and answering, with
 * nothing else behind it. It runs in a process of its own, as the API does, and reports its own CPU time
 * and event loop when asked.
 */
function serveCeiling(): void {
  const ceiling = new Koa();
  ceiling.use(async (ctx) => {
    let read = false;
    if (ctx.method !== 'GET') {
      const chunks: Buffer[] = [];
      for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
      const raw = Buffer.concat(chunks);
      if (raw.length > 0 && ctx.is('application/json')) {
        JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
        read = true;
      }
    }
    ctx.body = { ok: true, read };
  });
  const server = ceiling.listen(0, '127.0.0.1', () =>
    process.send?.({ port: (server.address() as AddressInfo).port }),
  );
  process.on('message', (m: { probe?: boolean }) => {
    if (!m.probe) return;
    const cpu = process.cpuUsage();
    const elu = performance.eventLoopUtilization();
    const probe: Probe = {
      cpuMicros: cpu.user + cpu.system,
      loopBusyMs: elu.active,
      loopMs: elu.active + elu.idle,
      commits: 0,
      commitMs: 0,
      reports: 0,
      alertLooks: 0,
    };
    process.send?.({ probe });
  });
  process.on('disconnect', () => process.exit(0));
}

async function startCeiling(): Promise<{ port: number; probe(): Promise<Probe>; stop(): Promise<void> }> {
  const child: ChildProcess = fork(__filename, ['--ceiling'], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`the ceiling server exited with ${code}`)));
  });
  return {
    port,
    probe: () =>
      new Promise<Probe>((resolve) => {
        const on = (m: { probe?: Probe }) => {
          if (!m.probe) return;
          child.off('message', on);
          resolve(m.probe);
        };
        child.on('message', on);
        child.send({ probe: true });
      }),
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.disconnect();
      await exited;
    },
  };
}

/**
 * An empty database of `dialect` for one benchmark: a SQLite file in a folder of its own, or a database on a
 * throwaway PostgreSQL cluster. `stops` removes it; push what else the benchmark starts, and `stopAll`
 * stops everything, the last started first.
 */
export async function freshDatabase(
  dialect: Dialect,
  name: string,
  /** PostgreSQL's server settings beyond its durable defaults. */
  postgresSettings: Record<string, string> = {},
): Promise<{ url: string; stops: (() => Promise<void> | void)[]; stopAll: () => Promise<void> }> {
  const stops: (() => Promise<void> | void)[] = [];
  let url: string;
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), `${name}-`));
    stops.push(() => rmSync(dir, { recursive: true, force: true }));
    url = `sqlite:${join(dir, 'billing.sqlite')}`;
  } else {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { startThrowawayCluster, createDatabase } = require('../tools/postgres');
    const pg = await startThrowawayCluster({ durable: true, settings: postgresSettings });
    stops.push(() => pg.stop());
    url = createDatabase(pg.url, name);
  }
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop();
  };
  return { url, stops, stopAll };
}

/** Starts the engine on a fresh database of `dialect`; `profile` names a folder for its CPU profile. */
export async function startEngine(
  dialect: Dialect,
  opts: {
    profile?: string | null;
    accessLane?: { priority: Priority } | null;
    /** How many of `Ready.manyCustomers` to seed (none unless asked: seeding them takes a while). */
    manyCustomers?: number;
    /** On PostgreSQL, pg_stat_statements loaded, for Engine.statements. */
    statements?: boolean;
  } = {},
): Promise<Engine> {
  const counting = dialect === 'postgresql' && opts.statements === true;
  const { url, stops, stopAll } = await freshDatabase(
    dialect,
    'bench_engine',
    counting
      ? { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track_planning': 'on' }
      : {},
  );
  try {
    const orm = await openDatabase(url);
    stops.push(() => orm.close());
    if (counting) await sqlFor(orm.em.fork()).run('create extension if not exists pg_stat_statements');
    const idp = await startTestIdp();
    stops.push(() => idp.stop());
    const periodStart = new Date(Date.now() - 86_400_000);
    const customers: string[] = [];
    const customerTokens: string[] = [];
    for (let c = 0; c < CUSTOMERS; c++) {
      const email = `ingest-${c}@bench.local`;
      const { customer, subscription, sub } = await seedSubscriber(orm, {
        email,
        plan: 'enterprise',
        periodStart,
      });
      const em = orm.em.fork();
      // The newest invoice opened the current period; the others the months before it.
      seedPaidInvoices(em, subscription, {
        count: INVOICES_PER_CUSTOMER,
        newestStart: periodStart,
        label: `BENCH-${c}`,
      });
      em.create(PaymentMethod, {
        id: newId('pm'),
        stripePaymentMethodId: `pm_bench_${c}`,
        customer: customer.id,
        brand: 'visa',
        last4: '4242',
        expMonth: 12,
        expYear: 2030,
        isDefault: true,
        createdAt: periodStart,
      });
      await em.flush();
      // A budget far from reached: the subjects phase's reports take the budget's path, never refused.
      const sql = sqlFor(orm.em.fork());
      await sql.run(
        `insert into subject_budgets (customer_id, subject, per, limit_units, alert_percent, created_at, updated_at)
           values (?, ?, 'period', ?, null, ?, ?)`,
        [customer.id, BENCH_SUBJECT, 1_000_000_000, sql.date(periodStart), sql.date(periodStart)],
      );
      customers.push(sub);
      customerTokens.push(await idp.token({ sub, email }));
    }
    const check = await seedSubscriber(orm, {
      email: 'check@bench.local',
      plan: 'professional',
      periodStart,
    });
    {
      const sql = sqlFor(orm.em.fork());
      await sql.run(
        `insert into subject_budgets (customer_id, subject, per, limit_units, alert_percent, created_at, updated_at)
           values (?, ?, 'day', ?, null, ?, ?)`,
        [check.customer.id, BENCH_SUBJECT, 1_000_000_000, sql.date(periodStart), sql.date(periodStart)],
      );
    }
    const creditCustomers: string[] = [];
    for (let c = 0; c <= CUSTOMERS; c++) {
      const email = c < CUSTOMERS ? `credit-${c}@bench.local` : 'credit-check@bench.local';
      const { customer, sub } = await seedSubscriber(orm, {
        email,
        plan: c < CUSTOMERS ? 'enterprise' : 'professional',
        periodStart,
      });
      const sql = sqlFor(orm.em.fork());
      await addGrant(sql, {
        customerId: customer.id,
        amount: 1_000_000_000,
        source: 'admin',
        effectiveAt: periodStart,
        expiresAt: null,
        sourceKey: `bench:${customer.id}`,
      });
      await sql.run(
        `insert into credit_settings (customer_id, spend_cap_cents, spend_cap_mode, updated_at) values (?, ?, 'block', ?)`,
        [customer.id, 1_000_000_000, sql.date(periodStart)],
      );
      // The plan's included credits already used this period: every report draws on the prepaid grant, as
      // a credit customer's do for the rest of a period, not only once a few runs have used them up.
      if (c < CUSTOMERS)
        await addToDailyUsage(sql, [
          {
            customerId: customer.id,
            day: periodStart.toISOString().slice(0, 10),
            type: 'inference',
            counted: includedCredits('enterprise'),
            byok: 0,
          },
        ]);
      creditCustomers.push(sub);
    }
    const capCustomers: string[] = [];
    for (let c = 0; c < CAP_CUSTOMERS; c++) {
      const { sub } = await seedSubscriber(orm, {
        email: `cap-${c}@bench.local`,
        plan: 'professional',
        periodStart,
      });
      capCustomers.push(sub);
    }
    const manyCustomers = await seedSubscribers(orm, opts.manyCustomers ?? 0, {
      emailOf: (i) => `many-${i}@bench.local`,
      plan: 'enterprise',
      periodStart,
    });
    const api = await startApiProcess({
      databaseUrl: url,
      oidc: { issuer: idp.issuer, jwksUrl: idp.jwksUrl },
      profile: opts.profile,
    });
    stops.push(() => api.stop());
    const access = opts.accessLane
      ? await startApiProcess({
          databaseUrl: url,
          oidc: { issuer: idp.issuer, jwksUrl: idp.jwksUrl },
          serves: 'access',
          priority: opts.accessLane.priority,
        })
      : null;
    if (access) stops.push(() => access.stop());
    const ceiling = await startCeiling();
    stops.push(() => ceiling.stop());
    const ready: Ready = {
      usagePort: api.port,
      accessPort: access?.port ?? null,
      accessPriority: access?.priority ?? null,
      ceilingPort: ceiling.port,
      gatewayToken: await idp.token({
        sub: 'svc-gateway',
        extra: { preferred_username: 'ai-gateway' },
        roles: ['billing-gateway'],
      }),
      checkToken: await idp.token({ sub: check.sub, email: 'check@bench.local' }),
      customers,
      customerTokens,
      creditCustomers: creditCustomers.slice(0, CUSTOMERS),
      capCustomers,
      manyCustomers,
      creditCheckToken: await idp.token({
        sub: creditCustomers[CUSTOMERS] as string,
        email: 'credit-check@bench.local',
      }),
    };
    return {
      dialect,
      ready,
      async probe(server = 'api') {
        if (server === 'ceiling') return ceiling.probe();
        if (server === 'access' && !access) throw new Error('no access lane was started');
        const r = await (server === 'access' && access ? access : api).read();
        return {
          cpuMicros: r.cpuMicros,
          loopBusyMs: r.loopBusyMs,
          // Wall time: differences between two probes are the time the busy share is of.
          loopMs: r.atMs,
          commits: r.commits,
          commitMs: r.commitMs,
          reports: r.reports,
          alertLooks: r.alertLooks,
        };
      },
      stored: () => orm.em.fork().count(UsageEvent, {}),
      statements: counting ? statementsOf(() => sqlFor(orm.em.fork())) : null,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

if (process.argv.includes('--ceiling')) serveCeiling();

export const REPORT_PATH = '/api/v1/billing/report_usage';

/**
 * POST report_usage as an AI gateway sends it: `n` events a request for one customer (named in each event
 * when alone, once for the batch otherwise), customers in turn; ids unique under `tag`. An answer counts as
 * a success when it accepted all `n`; `accepted` hears each answer's count.
 */
export function reportTarget(
  ready: Ready,
  port: number,
  n: number,
  tag: string,
  accepted: (count: number) => void = () => {},
  customers: readonly string[] = ready.customers,
  /** A subject each event names: the seeded customers each hold a budget for BENCH_SUBJECT. */
  subject?: string,
): Target {
  const customerOf = (i: number) => customers[i % customers.length] as string;
  return {
    port,
    path: () => REPORT_PATH,
    headers: { authorization: `Bearer ${ready.gatewayToken}` },
    body: (i) =>
      n === 1
        ? JSON.stringify({
            id: `${tag}-${i}`,
            type: 'inference',
            quantity: 1,
            user_id: customerOf(i),
            ...(subject !== undefined && { subject }),
          })
        : JSON.stringify({
            user_id: customerOf(i),
            events: Array.from({ length: n }, (_, k) => ({
              id: `${tag}-${i}-${k}`,
              type: k % 4 === 0 ? 'embedding' : 'inference',
              quantity: 1,
            })),
          }),
    ok: (status, text) => {
      if (port === ready.ceilingPort) return status === 200;
      if (status !== 200) return false;
      const count = (JSON.parse(text) as { accepted: number }).accepted;
      accepted(count);
      return count === n;
    },
  };
}

/** The reads of a customer's own billing the web app and the gateway make, and what a good answer holds. */
export const CUSTOMER_READS = {
  invoices: { path: '/api/v1/billing/invoices?limit=10', expect: '"BENCH-' },
  subscription: { path: '/api/v1/billing/subscription', expect: '"status"' },
  usage: { path: '/api/v1/billing/usage', expect: '"credits"' },
  'payment-methods': { path: '/api/v1/billing/payment-methods', expect: '"pm_bench_' },
  'my-access': { path: '/api/v1/subscriptions/my-access', expect: '"tier"' },
} as const;

export type CustomerRead = keyof typeof CUSTOMER_READS;

/** GET one of CUSTOMER_READS, each request a customer reading their own, customers in turn. */
export function customerReadTarget(ready: Ready, port: number, read: CustomerRead): Target {
  const tokens = ready.customerTokens;
  const { path, expect } = CUSTOMER_READS[read];
  return {
    port,
    method: 'GET',
    path: () => path,
    headers: (i) => ({ authorization: `Bearer ${tokens[i % tokens.length]}` }),
    ok: (status, text) => status === 200 && text.includes(expect),
  };
}

/** GET /billing/invoices, each request a customer reading their own (a handful of paid invoices each). */
export const invoiceReadTarget = (ready: Ready, port: number): Target =>
  customerReadTarget(ready, port, 'invoices');
