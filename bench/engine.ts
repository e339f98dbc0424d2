/**
 * The engine as the benchmarks drive it: the real Koa app (every route and middleware; Temporal out of
 * reach, which report_usage, check-access and the invoice list never call) in a child process of its own,
 * on a database the benchmark owns, beside a bare Koa server in the same process whose answers are the
 * ceiling of what HTTP alone allows there. It seeds customers the gateway reports usage for (enterprise,
 * no daily cap), each with a paid invoice, and one professional customer whose 10,000-a-day cap puts the
 * counter cache on check-access's path.
 *
 * SQLite is a file in a temporary directory (WAL, synchronous=FULL); PostgreSQL a throwaway cluster with
 * fsync and synchronous_commit on: an answered event is on disk in both.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import type { Target } from './load';

export type Dialect = 'sqlite' | 'postgresql';

export interface Ready {
  usagePort: number;
  ceilingPort: number;
  /** The AI gateway's token (billing-gateway role). */
  gatewayToken: string;
  checkToken: string;
  /** The seeded customers' user ids, and each one's own token. */
  customers: string[];
  customerTokens: string[];
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
}

export interface Engine {
  dialect: Dialect;
  ready: Ready;
  probe(): Promise<Probe>;
  /** Usage events stored. */
  stored(): Promise<number>;
  stop(): Promise<void>;
}

export const CUSTOMERS = 50;

async function serve(databaseUrl: string): Promise<void> {
  const [{ default: Koa }, { openDatabase }, { createVerifier }, { loadConfig }, { bodyReader }] =
    await Promise.all([
      import('koa'),
      import('../db/orm'),
      import('../api/auth/verifier'),
      import('../config/env'),
      import('../api/middleware/body'),
    ]);
  const { startTestIdp } = await import('../test/helpers/auth');
  const { createUsageApp } = await import('../test/usage/usage-app');
  const { seedSubscriber } = await import('../test/usage/fixtures');
  const { Invoice, UsageEvent } = await import('../db/entities');
  const { newId } = await import('../db/ids');
  const { ledgerWriterFor } = await import('../services/usage/ledger-writer');
  const orm = await openDatabase(databaseUrl);
  const idp = await startTestIdp();
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
    em.create(Invoice, {
      id: newId('inv'),
      stripeInvoiceId: `in_bench_${c}`,
      customer: customer.id,
      subscription: subscription.id,
      number: `BENCH-${c}`,
      status: 'paid',
      subtotalCents: subscription.amountCents,
      totalCents: subscription.amountCents,
      amountPaidCents: subscription.amountCents,
      billingReason: 'subscription_create',
      periodStart,
      periodEnd: new Date(periodStart.getTime() + 30 * 86_400_000),
      paidAt: periodStart,
      createdAt: periodStart,
    });
    await em.flush();
    customers.push(sub);
    customerTokens.push(await idp.token({ sub, email }));
  }
  const check = await seedSubscriber(orm, { email: 'check@bench.local', plan: 'professional', periodStart });
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: 'sqlite::memory:',
    OIDC_ISSUER: idp.issuer,
    OIDC_JWKS_URL: idp.jwksUrl,
  });
  const app = createUsageApp(orm, await createVerifier(config));
  const ceiling = new Koa();
  ceiling.use(bodyReader);
  ceiling.use((ctx) => {
    ctx.body = { ok: true, read: ctx.request.body !== undefined };
  });
  const listen = (a: { listen: (...args: unknown[]) => unknown }) =>
    new Promise<number>((resolve) => {
      const s = a.listen(0, '127.0.0.1', () =>
        resolve(((s as { address(): AddressInfo }).address() as AddressInfo).port),
      );
    });
  const ready: Ready = {
    usagePort: await listen(app as never),
    ceilingPort: await listen(ceiling as never),
    gatewayToken: await idp.token({
      sub: 'svc-gateway',
      extra: { preferred_username: 'ai-gateway' },
      roles: ['billing-gateway'],
    }),
    checkToken: await idp.token({ sub: check.sub, email: 'check@bench.local' }),
    customers,
    customerTokens,
  };
  process.send?.({ ready });
  const writer = ledgerWriterFor(orm.em);
  process.on('message', (m: { stored?: boolean; probe?: boolean }) => {
    if (m.stored)
      void orm.em
        .fork()
        .count(UsageEvent, {})
        .then((n) => process.send?.({ stored: n }));
    if (m.probe) {
      const cpu = process.cpuUsage();
      const elu = performance.eventLoopUtilization();
      const probe: Probe = {
        cpuMicros: cpu.user + cpu.system,
        loopBusyMs: elu.active,
        loopMs: elu.active + elu.idle,
        commits: writer.stats.groups,
        commitMs: writer.stats.commitMs,
        reports: writer.stats.members,
      };
      process.send?.({ probe });
    }
  });
  process.on('disconnect', () => {
    void Promise.all([orm.close(), idp.stop()]).finally(() => process.exit(0));
  });
}

/** Starts the engine on a fresh database of `dialect`; `profile` names a folder for its CPU profile. */
export async function startEngine(dialect: Dialect, opts: { profile?: string | null } = {}): Promise<Engine> {
  let stopPg: (() => void) | null = null;
  let dir: string | null = null;
  let url: string;
  if (dialect === 'sqlite') {
    dir = mkdtempSync(join(tmpdir(), 'bench-engine-'));
    url = `sqlite:${join(dir, 'billing.sqlite')}`;
  } else {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { startThrowawayCluster, createDatabase } = require('../tools/postgres');
    const pg = await startThrowawayCluster({ durable: true });
    stopPg = pg.stop;
    url = createDatabase(pg.url, 'bench_engine');
  }
  const execArgv = [...process.execArgv];
  if (opts.profile) execArgv.push('--cpu-prof', `--cpu-prof-dir=${resolvePath(opts.profile)}`);
  const child: ChildProcess = fork(__filename, ['--serve', url], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv,
  });
  const cleanUp = () => {
    stopPg?.();
    if (dir) rmSync(dir, { recursive: true, force: true });
  };
  let ready: Ready;
  try {
    ready = await new Promise<Ready>((resolve, reject) => {
      child.once('message', (m) => resolve((m as { ready: Ready }).ready));
      child.once('exit', (code) => reject(new Error(`the engine exited with ${code} before it was ready`)));
    });
  } catch (err) {
    cleanUp();
    throw err;
  }
  const ask = <T>(question: Record<string, true>, key: string) =>
    new Promise<T>((resolve) => {
      const on = (m: Record<string, unknown>) => {
        if (!(key in m)) return;
        child.off('message', on);
        resolve(m[key] as T);
      };
      child.on('message', on);
      child.send(question);
    });
  return {
    dialect,
    ready,
    probe: () => ask<Probe>({ probe: true }, 'probe'),
    stored: () => ask<number>({ stored: true }, 'stored'),
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.disconnect();
      await exited;
      cleanUp();
    },
  };
}

if (process.argv.includes('--serve')) void serve(process.argv[process.argv.indexOf('--serve') + 1] as string);

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
): Target {
  const customerOf = (i: number) => ready.customers[i % ready.customers.length] as string;
  return {
    port,
    path: () => REPORT_PATH,
    headers: { authorization: `Bearer ${ready.gatewayToken}` },
    body: (i) =>
      n === 1
        ? JSON.stringify({ id: `${tag}-${i}`, type: 'inference', quantity: 1, user_id: customerOf(i) })
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

/** GET /billing/invoices, each request a customer reading their own (one paid invoice each). */
export function invoiceReadTarget(ready: Ready, port: number): Target {
  const tokens = ready.customerTokens;
  return {
    port,
    method: 'GET',
    path: () => '/api/v1/billing/invoices',
    headers: (i) => ({ authorization: `Bearer ${tokens[i % tokens.length]}` }),
    ok: (status, text) => status === 200 && text.includes('"BENCH-'),
  };
}
