/**
 * Usage hot-path benchmark, in the shape an AI gateway sends: the gateway reports each model call as it
 * happens (one event per POST /billing/report_usage, for one of many customers), 16 requests in flight on
 * keep-alive connections; then 10 events a request, a 1,000-event batch, check-access alone, and
 * check-access while ingestion runs at a fixed 5,000 events/s beside it. Every figure stands beside the
 * ceiling of the same run: a bare Koa route that reads and parses the same request and answers.
 *
 * The API runs in a child process and the load loop here, so each has a core. A run repeats every phase;
 * the summary prints min / median / max over the runs. SQLite is a file in a temporary directory (WAL,
 * synchronous=FULL); PostgreSQL is a throwaway cluster with fsync and synchronous_commit on, so an answered
 * event is on disk in both. After the runs the benchmark counts the stored events against the accepted ones.
 *
 *   npx tsx bench/usage.ts [--seconds 8] [--runs 3] [--concurrency 16] [--dialect sqlite,postgresql]
 *                          [--phases ceiling,one,ten,batch,fixed,check,mixed]   (which to run; all by default)
 *                          [--profile <dir>]   (writes the API process's CPU profile, node --cpu-prof)
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { parseArgs } from 'node:util';
import { closedLoop, figures, openLoop, spread, type LoadResult, type Target } from './load';

interface Ready {
  usagePort: number;
  ceilingPort: number;
  gatewayToken: string;
  ownToken: string;
  checkToken: string;
  customers: string[];
}

const CUSTOMERS = 50;
const REPORT = '/api/v1/billing/report_usage';
const CHECK = '/api/v1/subscriptions/check-access/api';

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
  const { UsageEvent } = await import('../db/entities');
  const { ledgerWriterFor } = await import('../services/usage/ledger-writer');
  const orm = await openDatabase(databaseUrl);
  const idp = await startTestIdp();
  const periodStart = new Date(Date.now() - 86_400_000);
  // Enterprise has no daily cap, so ingestion runs unhindered; professional's 10,000/day puts the counter
  // cache on check-access's path.
  const customers: string[] = [];
  for (let c = 0; c < CUSTOMERS; c++) {
    const email = `ingest-${c}@bench.local`;
    customers.push((await seedSubscriber(orm, { email, plan: 'enterprise', periodStart })).sub);
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
    ownToken: await idp.token({ sub: customers[0], email: 'ingest-0@bench.local' }),
    checkToken: await idp.token({ sub: check.sub, email: 'check@bench.local' }),
    customers,
  };
  process.send?.(ready);
  const writer = ledgerWriterFor(orm.em);
  process.on('message', (m: { count?: boolean; probe?: boolean }) => {
    if (m.count)
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

/** The API process's CPU time and the ledger's group commits so far. */
interface Probe {
  /** The process's CPU time, every thread. */
  cpuMicros: number;
  /** The main thread's event loop: time busy, and time in all. */
  loopBusyMs: number;
  loopMs: number;
  commits: number;
  commitMs: number;
  reports: number;
}

type Phase = {
  label: string;
  unit: string;
  result: LoadResult;
  unitsPerRequest: number;
  /** The API's CPU time and its commits during the phase (none when another row carries them). */
  used: Probe | null;
  /** Requests the CPU time is divided by, when the phase served more than this row's. */
  cpuRequests?: number;
};

const cpuPerRequest = (p: Phase) =>
  p.used ? p.used.cpuMicros / Math.max(1, p.cpuRequests ?? p.result.requests) : NaN;

function line(p: Phase): string {
  const f = figures(p.result, p.unitsPerRequest);
  const rate = Math.round(f.rate).toLocaleString('en-US');
  const cpu = p.used ? `; API CPU ${cpuPerRequest(p).toFixed(0)} µs/request` : '';
  const loop = p.used ? `, event loop ${((100 * p.used.loopBusyMs) / p.used.loopMs).toFixed(0)}% busy` : '';
  const grouping =
    p.used && p.used.commits > 0
      ? `, ${(p.used.reports / p.used.commits).toFixed(1)} reports/commit of ${(p.used.commitMs / p.used.commits).toFixed(2)} ms`
      : '';
  return `  ${p.label.padEnd(44)} ${rate.padStart(8)} ${p.unit}/s  p50 ${f.p50.toFixed(2)} ms  p99 ${f.p99.toFixed(2)} ms  (${p.result.requests} requests, ${p.result.failures} failed${cpu}${loop}${grouping})${p.result.failureSamples.length ? `\n    e.g. ${p.result.failureSamples[0]}` : ''}`;
}

async function benchDialect(
  dialect: 'sqlite' | 'postgresql',
  opts: { seconds: number; runs: number; concurrency: number; profile: string | null; phases: string[] },
): Promise<void> {
  let stopPg: (() => void) | null = null;
  let dir: string | null = null;
  let url: string;
  if (dialect === 'sqlite') {
    dir = mkdtempSync(join(tmpdir(), 'bench-usage-'));
    url = `sqlite:${join(dir, 'billing.sqlite')}`;
  } else {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { startThrowawayCluster, createDatabase } = require('../tools/postgres');
    const pg = await startThrowawayCluster({ durable: true });
    stopPg = pg.stop;
    url = createDatabase(pg.url, 'bench_usage');
  }
  const execArgv = [...process.execArgv];
  if (opts.profile) execArgv.push('--cpu-prof', `--cpu-prof-dir=${resolvePath(opts.profile)}`);
  const child: ChildProcess = fork(__filename, ['--serve', url], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv,
  });
  try {
    const ready = await new Promise<Ready>((resolve, reject) => {
      child.once('message', (m) => resolve(m as Ready));
      child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    });
    await runPhases(dialect, ready, child, opts);
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.disconnect();
    await exited;
    stopPg?.();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

async function runPhases(
  dialect: string,
  ready: Ready,
  child: ChildProcess,
  opts: { seconds: number; runs: number; concurrency: number; phases: string[] },
): Promise<void> {
  const { seconds, concurrency } = opts;
  let runTag = 0;
  let acceptedTotal = 0;
  const gateway = { authorization: `Bearer ${ready.gatewayToken}` };
  const customerOf = (i: number) => ready.customers[i % ready.customers.length] as string;
  /** `n` events a request, the gateway naming one customer per request. */
  const reports = (port: number, n: number): Target => {
    const tag = `r${runTag++}`;
    return {
      port,
      path: () => REPORT,
      headers: gateway,
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
        const accepted = (JSON.parse(text) as { accepted: number }).accepted;
        acceptedTotal += accepted;
        return accepted === n;
      },
    };
  };
  const checks = (port: number): Target => ({
    port,
    method: 'POST',
    path: () => CHECK,
    headers: { authorization: `Bearer ${ready.checkToken}` },
  });

  // Warm-up: JIT, the JWKS fetch, the page caches.
  await closedLoop(reports(ready.usagePort, 1), { concurrency, seconds: 2 });
  await closedLoop(reports(ready.usagePort, 10), { concurrency, seconds: 1 });
  await closedLoop(checks(ready.usagePort), { concurrency, seconds: 1 });

  const probe = () =>
    new Promise<Probe>((resolve) => {
      child.once('message', (m) => resolve((m as { probe: Probe }).probe));
      child.send({ probe: true });
    });
  const table = new Map<
    string,
    { unit: string; rate: number[]; p50: number[]; p99: number[]; cpu: number[] }
  >();
  const keep = (p: Phase) => {
    const f = figures(p.result, p.unitsPerRequest);
    const row = table.get(p.label) ?? { unit: p.unit, rate: [], p50: [], p99: [], cpu: [] };
    row.rate.push(f.rate);
    row.p50.push(f.p50);
    row.p99.push(f.p99);
    row.cpu.push(cpuPerRequest(p));
    table.set(p.label, row);
    console.log(line(p));
  };
  const since = (a: Probe, b: Probe): Probe => ({
    cpuMicros: b.cpuMicros - a.cpuMicros,
    loopBusyMs: b.loopBusyMs - a.loopBusyMs,
    loopMs: b.loopMs - a.loopMs,
    commits: b.commits - a.commits,
    commitMs: b.commitMs - a.commitMs,
    reports: b.reports - a.reports,
  });
  const c = { concurrency, seconds };
  console.log(
    `\n${dialect}: ${opts.runs} runs, ${seconds} s per phase, ${concurrency} in flight, keep-alive`,
  );
  const on = (name: string) => opts.phases.includes(name);
  for (let run = 1; run <= opts.runs; run++) {
    console.log(`run ${run}`);
    const phase = async (
      label: string,
      unit: string,
      unitsPerRequest: number,
      r: () => Promise<LoadResult>,
    ) => {
      const before = await probe();
      const result = await r();
      keep({ label, unit, unitsPerRequest, result, used: since(before, await probe()) });
    };
    if (on('ceiling'))
      await phase('ceiling: bare Koa, 1-event body', 'req', 1, () =>
        closedLoop(reports(ready.ceilingPort, 1), c),
      );
    if (on('one'))
      await phase('report_usage, 1 event/request', 'events', 1, () =>
        closedLoop(reports(ready.usagePort, 1), c),
      );
    if (on('ten'))
      await phase('report_usage, 10 events/request', 'events', 10, () =>
        closedLoop(reports(ready.usagePort, 10), c),
      );
    if (on('batch'))
      await phase('report_usage, 1,000 events/request (4 in flight)', 'events', 1000, () =>
        closedLoop(reports(ready.usagePort, 1000), { concurrency: 4, seconds }),
      );
    if (on('fixed'))
      await phase('report_usage at a fixed 5,000 events/s', 'events', 1, () =>
        openLoop(reports(ready.usagePort, 1), { rate: 5000, seconds }),
      );
    if (on('check')) {
      await phase('ceiling: bare Koa, check-access', 'req', 1, () =>
        closedLoop(checks(ready.ceilingPort), c),
      );
      await phase('check-access alone', 'req', 1, () => closedLoop(checks(ready.usagePort), c));
    }
    if (on('mixed')) {
      // The gateway asks before each model call and reports after it: both at once on one API.
      const before = await probe();
      const [beside, ingest] = await Promise.all([
        closedLoop(checks(ready.usagePort), { concurrency: 4, seconds }),
        openLoop(reports(ready.usagePort, 1), { rate: 5000, seconds }),
      ]);
      const used = since(before, await probe());
      keep({
        label: 'check-access (4 in flight) beside 5,000 ev/s',
        unit: 'req',
        unitsPerRequest: 1,
        result: beside,
        used: null,
      });
      keep({
        label: '  … and that ingestion at 5,000 events/s',
        unit: 'events',
        unitsPerRequest: 1,
        result: ingest,
        // Both kinds of request share the API's CPU: this row's figure is per request of either.
        used,
        cpuRequests: ingest.requests + beside.requests,
      });
    }
  }

  const stored = await new Promise<number>((resolve) => {
    child.once('message', (m) => resolve((m as { stored: number }).stored));
    child.send({ count: true });
  });
  console.log(`\n${dialect} summary, min / median / max over ${opts.runs} runs`);
  for (const [label, row] of table) {
    console.log(
      `  ${label.padEnd(44)} ${spread(row.rate).padStart(24)} ${row.unit}/s   p50 ${spread(row.p50, 2)} ms   p99 ${spread(row.p99, 2)} ms   API CPU ${spread(row.cpu)} µs/req`,
    );
  }
  console.log(
    `  stored events ${stored.toLocaleString('en-US')}; accepted in answers (warm-up included) ${acceptedTotal.toLocaleString('en-US')}${stored === acceptedTotal ? '' : '  MISMATCH'}`,
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '8' },
      runs: { type: 'string', default: '3' },
      concurrency: { type: 'string', default: '16' },
      dialect: { type: 'string', default: 'sqlite,postgresql' },
      profile: { type: 'string' },
      phases: { type: 'string', default: 'ceiling,one,ten,batch,fixed,check,mixed' },
    },
  });
  const opts = {
    seconds: Number(values.seconds),
    runs: Number(values.runs),
    concurrency: Number(values.concurrency),
    profile: values.profile ?? null,
    phases: values.phases.split(','),
  };
  console.log(
    `usage benchmark — API in its own process, load from this one; figures are min / median / max of ${opts.runs} runs`,
  );
  for (const d of values.dialect.split(',')) {
    if (d !== 'sqlite' && d !== 'postgresql') throw new Error(`--dialect: sqlite or postgresql, not ${d}`);
    await benchDialect(d, opts);
  }
}

if (process.argv.includes('--serve')) void serve(process.argv[process.argv.indexOf('--serve') + 1] as string);
else
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
