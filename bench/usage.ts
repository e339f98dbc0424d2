/**
 * Usage hot-path benchmark, in the shape an AI gateway sends: the gateway reports each model call as it
 * happens (one event per POST /billing/report_usage, for one of many customers), 16 requests in flight on
 * keep-alive connections; then 10 events a request, a 1,000-event batch, a fixed 5,000 events/s,
 * check-access alone, and check-access while ingestion runs at 5,000 events/s beside it. Every figure
 * stands beside the ceiling of the same run: a bare Koa route that reads and parses the same request and
 * answers.
 *
 * The engine's API runs in a process of its own (bench/engine.ts) and the load loop here, so each has a
 * core. A run repeats every phase; the summary prints min / median / max over the runs, with the API's CPU
 * time per request (all its threads), how busy its event loop was, and how many reports shared a commit
 * (read from its /metrics). An answered event is on disk on both databases; after the runs the stored
 * events are counted against the accepted ones.
 *
 *   npx tsx bench/usage.ts [--seconds 8] [--runs 3] [--concurrency 16] [--dialect sqlite,postgresql]
 *                          [--phases ceiling,one,credits,many,subjects,ten,batch,fixed,check,mixed,overload]
 *                          (which to run; all by default; `credits` repeats one, ten and check for customers
 *                          on the credit ledger; `many` repeats one over --many customers (10,000), each then
 *                          reporting every few seconds, as a gateway with many customers sends, after a first
 *                          pass in which each customer reports once; `overload`
 *                          sends reports at 1.5 times the one-event rate, past the in-flight ceiling, with
 *                          check-access at 1,000/s beside them and alone, asked first of the flooded API,
 *                          then of an access lane: a second API process with API_SERVES=access; the checks
 *                          are sent and timed by a process of their own)
 *                          [--many 10000]   (how many customers the `many` phase reports for)
 *                          [--profile <dir>]   (writes the API process's CPU profile, node --cpu-prof)
 *                          [--statements]      (PostgreSQL: its planning and running a request, by statement)
 *                          [--access-priority fifo:10]   (of the access lane and of the checks' process; or nice:-10)
 */
import { parseArgs } from 'node:util';
import { describePriority, parsePriority } from './api-process';
import { startLoadProcess } from './load-apart';
import {
  BENCH_SUBJECT,
  reportTarget,
  startEngine,
  type Dialect,
  type Engine,
  type Probe,
  type StatementTimes,
} from './engine';
import { closedLoop, figures, openLoop, spread, type LoadResult, type Target } from './load';
import { cpuByPart } from './process-cpu';

const CHECK = '/api/v1/subscriptions/check-access/api';

type Phase = {
  label: string;
  unit: string;
  result: LoadResult;
  unitsPerRequest: number;
  /** The API's CPU time and its commits during the phase (none when another row carries them). */
  used: Probe | null;
  /** Requests the CPU time is divided by, when the phase served more than this row's. */
  cpuRequests?: number;
  /** PostgreSQL's CPU during the phase, every PostgreSQL process on the machine (on SQLite none). */
  databaseCpuMicros?: number;
};

const cpuPerRequest = (p: Phase) =>
  p.used ? p.used.cpuMicros / Math.max(1, p.cpuRequests ?? p.result.requests) : NaN;
const databaseCpuPerRequest = (p: Phase) =>
  p.databaseCpuMicros === undefined ? NaN : p.databaseCpuMicros / Math.max(1, p.result.requests);

/**
 * PostgreSQL's CPU so far, in µs: every PostgreSQL process on the machine, the backends that have ended
 * included. The benchmark's cluster is the only one on a machine left quiet for it.
 */
const postgresCpuMicros = (): number =>
  [...cpuByPart({}).entries()]
    .filter(([part]) => part.startsWith('postgres'))
    .reduce((sum, [, seconds]) => sum + seconds * 1e6, 0);

function line(p: Phase): string {
  const f = figures(p.result, p.unitsPerRequest);
  const rate = Math.round(f.rate).toLocaleString('en-US');
  const database =
    p.databaseCpuMicros === undefined ? '' : `, PostgreSQL ${databaseCpuPerRequest(p).toFixed(0)} µs`;
  const cpu = p.used ? `; API CPU ${cpuPerRequest(p).toFixed(0)} µs/request${database}` : '';
  const loop = p.used ? `, event loop ${((100 * p.used.loopBusyMs) / p.used.loopMs).toFixed(0)}% busy` : '';
  const grouping =
    p.used && p.used.commits > 0
      ? `, ${(p.used.reports / p.used.commits).toFixed(1)} reports/commit of ${(p.used.commitMs / p.used.commits).toFixed(2)} ms`
      : '';
  const looks =
    p.used && p.used.reports > 0
      ? `, ${(p.used.alertLooks / p.used.reports).toFixed(2)} alert looks/report`
      : '';
  const failed = p.result.failureSamples.length ? `\n    e.g. ${p.result.failureSamples[0]}` : '';
  return `  ${p.label.padEnd(44)} ${rate.padStart(8)} ${p.unit}/s  p50 ${f.p50.toFixed(2)} ms  p99 ${f.p99.toFixed(2)} ms  (${p.result.requests} requests, ${p.result.failures} failed${cpu}${loop}${grouping}${looks})${failed}`;
}

/** PostgreSQL's planning and running a request, in all and for the statements that took the most. */
async function printStatements(statements: StatementTimes, requests: number): Promise<void> {
  const per = (ms: number) => ((ms * 1000) / Math.max(1, requests)).toFixed(1);
  const total = await statements.total();
  console.log(
    `      PostgreSQL's statements a request: planning ${per(total.planMs)} µs, running ${per(total.runMs)} µs`,
  );
  for (const t of await statements.top(6))
    console.log(
      `        ${per(t.planMs + t.runMs).padStart(7)} µs  ${(t.calls / Math.max(1, requests)).toFixed(2)} calls  ${t.text}`,
    );
}

const since = (a: Probe, b: Probe): Probe => ({
  cpuMicros: b.cpuMicros - a.cpuMicros,
  loopBusyMs: b.loopBusyMs - a.loopBusyMs,
  loopMs: b.loopMs - a.loopMs,
  commits: b.commits - a.commits,
  commitMs: b.commitMs - a.commitMs,
  reports: b.reports - a.reports,
  alertLooks: b.alertLooks - a.alertLooks,
});

type Table = Map<
  string,
  { unit: string; rate: number[]; p50: number[]; p99: number[]; cpu: number[]; database: number[] }
>;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/**
 * Issue 45's goals as this invocation measured them: each ratio taken within a run (a phase against the
 * same run's ceiling), then the median over the runs; only the goals whose phases ran.
 */
function printGoals(dialect: string, table: Table): void {
  const lines: string[] = [];
  const verdict = (met: boolean) => (met ? 'met' : 'not met');
  const perRun = (label: string, against: string, of: 'rate' | 'cpu') => {
    const row = table.get(label);
    const base = table.get(against);
    if (!row || !base) return null;
    const ratios = row[of].map((v, i) => v / (base[of][i] as number)).filter(Number.isFinite);
    return ratios.length ? median(ratios) : null;
  };
  const share = (label: string, ceiling: string, goal: number, name: string) => {
    const r = perRun(label, ceiling, 'rate');
    if (r !== null)
      lines.push(`  ${name}: ${r.toFixed(2)} of the ceiling (goal ≥ ${goal}): ${verdict(r >= goal)}`);
  };
  share('report_usage, 1 event/request', 'ceiling: bare Koa, 1-event body', 0.4, 'report_usage, 1 event');
  const cpu = perRun('report_usage, 1 event/request', 'ceiling: bare Koa, 1-event body', 'cpu');
  if (cpu !== null)
    lines.push(`  … its API CPU: ${cpu.toFixed(1)}× the bare route's (goal ≤ 2.5): ${verdict(cpu <= 2.5)}`);
  share(
    '  … credits and a cap, 1 event/request',
    'ceiling: bare Koa, 1-event body',
    0.3,
    '… for customers with credits and a cap',
  );
  share('check-access alone', 'ceiling: bare Koa, check-access', 0.8, 'check-access');
  const batch = table.get('report_usage, 1,000 events/request (4 in flight)');
  if (batch) {
    const perEvent = median(batch.cpu) / 1000;
    lines.push(
      `  a 1,000-event report: ${perEvent.toFixed(1)} µs of API CPU an event (goal ≤ 15): ${verdict(perEvent <= 15)}`,
    );
  }
  for (const lane of ['', 'the access lane: ']) {
    const alone = table.get(`${lane}check-access at 1,000/s alone`);
    const beside = table.get(`${lane}check-access at 1,000/s beside 1.5× capacity`);
    if (!alone || !beside) continue;
    const ratio = median(beside.p99) / median(alone.p99);
    lines.push(
      `  check-access p99 beside reports at 1.5× capacity ÷ alone, ${lane ? 'from the access lane' : 'from the flooded API'}: ${ratio.toFixed(2)} (goal ≤ 3): ${verdict(ratio <= 3)}`,
    );
  }
  if (lines.length === 0) return;
  console.log(`\n${dialect} goals (medians over the runs of ratios within each run)`);
  for (const l of lines) console.log(l);
}

async function runPhases(
  engine: Engine,
  opts: { seconds: number; runs: number; concurrency: number; phases: string[] },
): Promise<void> {
  const { ready } = engine;
  const { seconds, concurrency } = opts;
  let runTag = 0;
  let acceptedTotal = 0;
  const reports = (port: number, n: number, customers = ready.customers) =>
    reportTarget(ready, port, n, `r${runTag++}`, (count) => (acceptedTotal += count), customers);
  const checks = (port: number, token = ready.checkToken, path = CHECK): Target => ({
    port,
    method: 'POST',
    path: () => path,
    headers: { authorization: `Bearer ${token}` },
  });

  // Warm-up: JIT, the JWKS fetch, the page caches.
  await closedLoop(reports(ready.usagePort, 1), { concurrency, seconds: 2 });
  await closedLoop(reports(ready.usagePort, 10), { concurrency, seconds: 1 });
  await closedLoop(checks(ready.usagePort), { concurrency, seconds: 1 });
  await closedLoop(reports(ready.usagePort, 1, ready.creditCustomers), { concurrency, seconds: 1 });

  const table: Table = new Map();
  const keep = (p: Phase) => {
    const f = figures(p.result, p.unitsPerRequest);
    const row = table.get(p.label) ?? { unit: p.unit, rate: [], p50: [], p99: [], cpu: [], database: [] };
    row.rate.push(f.rate);
    row.p50.push(f.p50);
    row.p99.push(f.p99);
    row.cpu.push(cpuPerRequest(p));
    if (p.databaseCpuMicros !== undefined) row.database.push(databaseCpuPerRequest(p));
    table.set(p.label, row);
    console.log(line(p));
  };
  const phase = async (
    label: string,
    unit: string,
    unitsPerRequest: number,
    r: () => Promise<LoadResult>,
    server: 'api' | 'ceiling' | 'access' = 'api',
  ) => {
    const before = await engine.probe(server);
    // Its CPU beside the API's: on the credits path a report costs the database as much as the API.
    const databaseBefore = engine.dialect === 'postgresql' ? postgresCpuMicros() : null;
    await engine.statements?.reset();
    const result = await r();
    keep({
      label,
      unit,
      unitsPerRequest,
      result,
      used: since(before, await engine.probe(server)),
      ...(databaseBefore === null ? {} : { databaseCpuMicros: postgresCpuMicros() - databaseBefore }),
    });
    if (engine.statements) await printStatements(engine.statements, result.requests);
  };
  const c = { concurrency, seconds };
  const many = ready.manyCustomers.length.toLocaleString('en-US');
  const on = (name: string) => opts.phases.includes(name);
  console.log(
    `\n${engine.dialect}: ${opts.runs} runs, ${seconds} s per phase, ${concurrency} in flight, keep-alive`,
  );
  for (let run = 1; run <= opts.runs; run++) {
    console.log(`run ${run}`);
    if (on('ceiling'))
      await phase(
        'ceiling: bare Koa, 1-event body',
        'req',
        1,
        () => closedLoop(reports(ready.ceilingPort, 1), c),
        'ceiling',
      );
    if (on('one'))
      await phase('report_usage, 1 event/request', 'events', 1, () =>
        closedLoop(reports(ready.usagePort, 1), c),
      );
    if (on('credits'))
      await phase('  … credits and a cap, 1 event/request', 'events', 1, () =>
        closedLoop(reports(ready.usagePort, 1, ready.creditCustomers), c),
      );
    // Each customer's first report to the API process reads what the later ones find remembered.
    if (on('many') && run === 1)
      await phase(`  … the first report of each of ${many} customers`, 'events', 1, () =>
        closedLoop(reports(ready.usagePort, 1, ready.manyCustomers), {
          concurrency,
          seconds: 600,
          maxRequests: ready.manyCustomers.length,
        }),
      );
    if (on('many'))
      await phase(`  … one of ${many} customers in turn, 1 event/request`, 'events', 1, () =>
        closedLoop(reports(ready.usagePort, 1, ready.manyCustomers), c),
      );
    if (on('many') && on('check'))
      await phase(`check-access, the gateway naming one of ${many} in turn`, 'req', 1, () =>
        closedLoop(
          {
            ...checks(ready.usagePort, ready.gatewayToken),
            path: (i) =>
              `${CHECK}?user_id=${encodeURIComponent(ready.manyCustomers[i % ready.manyCustomers.length] as string)}`,
          },
          c,
        ),
      );
    if (on('subjects'))
      await phase('  … naming a budgeted subject, 1 event/request', 'events', 1, () =>
        closedLoop(
          reportTarget(
            ready,
            ready.usagePort,
            1,
            `s${runTag++}`,
            (n) => (acceptedTotal += n),
            ready.customers,
            BENCH_SUBJECT,
          ),
          c,
        ),
      );
    if (on('ten'))
      await phase('report_usage, 10 events/request', 'events', 10, () =>
        closedLoop(reports(ready.usagePort, 10), c),
      );
    if (on('credits'))
      await phase('  … credits and a cap, 10 events/request', 'events', 10, () =>
        closedLoop(reports(ready.usagePort, 10, ready.creditCustomers), c),
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
      await phase(
        'ceiling: bare Koa, check-access',
        'req',
        1,
        () => closedLoop(checks(ready.ceilingPort), c),
        'ceiling',
      );
      await phase('check-access alone', 'req', 1, () => closedLoop(checks(ready.usagePort), c));
    }
    if (on('check') && on('subjects'))
      await phase('  … naming a budgeted subject', 'req', 1, () =>
        closedLoop(checks(ready.usagePort, ready.checkToken, `${CHECK}?subject=${BENCH_SUBJECT}`), c),
      );
    if (on('check') && on('credits'))
      await phase('  … a customer with credits and a cap', 'req', 1, () =>
        closedLoop(checks(ready.usagePort, ready.creditCheckToken), c),
      );
    if (on('overload')) {
      // Reports past what the API can take (1.5 times this run's one-event rate), shed past the in-flight
      // ceiling, while the gateway asks check-access at a fixed rate: its p99 beside them against alone.
      // Asked of the API the reports flood, then of an access lane (a process of its own) when there is one.
      const oneRate = table.get('report_usage, 1 event/request')?.rate;
      const capacity =
        oneRate?.[oneRate.length - 1] ?? figures(await closedLoop(reports(ready.usagePort, 1), c), 1).rate;
      const lanes: [string, number][] = [['', ready.usagePort]];
      if (ready.accessPort !== null) lanes.push(['the access lane: ', ready.accessPort]);
      const apart = await startLoadProcess(engine.ready.accessPriority);
      if (ready.accessPort !== null)
        console.log(
          `  (the access lane and the checks' process at ${describePriority(engine.ready.accessPriority)})`,
        );
      try {
        // Until the API has had half a second without a commit and with its event loop mostly idle.
        const settle = async () => {
          for (let last = await engine.probe(), i = 0; i < 40; i++) {
            await new Promise((r) => setTimeout(r, 500));
            const now = await engine.probe();
            const busy = (now.loopBusyMs - last.loopBusyMs) / Math.max(1, now.loopMs - last.loopMs);
            if (now.commits === last.commits && busy < 0.1) return;
            last = now;
          }
        };
        const askOf = (port: number) =>
          ({
            port,
            method: 'POST',
            path: CHECK,
            headers: { authorization: `Bearer ${ready.checkToken}` },
          }) as const;
        // Alone means nothing else at work: each lane is timed before any flood, after the phases before
        // have drained (a flood's last commits, or the warm-up's garbage, had stalled the lane's checks for
        // tens of milliseconds, which counted against "alone").
        for (const [lane, port] of lanes) {
          // Warm: the lane's first checks fetch the JWKS and fill its memos.
          await closedLoop(checks(port), { concurrency, seconds: 1 });
          await settle();
          await phase(
            `${lane}check-access at 1,000/s alone`,
            'req',
            1,
            () => apart.openLoop(askOf(port), { rate: 1000, seconds }),
            lane ? 'access' : 'api',
          );
        }
        for (const [lane, port] of lanes) {
          await settle();
          const before = await engine.probe();
          const flood = Math.round(1.5 * capacity);
          const [beside, ingest] = await Promise.all([
            apart.openLoop(askOf(port), { rate: 1000, seconds }),
            openLoop(reports(ready.usagePort, 1), { rate: flood, seconds }),
          ]);
          keep({
            label: `${lane}check-access at 1,000/s beside 1.5× capacity`,
            unit: 'req',
            unitsPerRequest: 1,
            result: beside,
            used: null,
          });
          keep({
            label: `  … ${lane ? 'and ' : ''}reports at 1.5× capacity (failed: shed)`,
            unit: 'events',
            unitsPerRequest: 1,
            result: ingest,
            used: since(before, await engine.probe()),
            cpuRequests: ingest.requests + (port === ready.usagePort ? beside.requests : 0),
          });
        }
      } finally {
        await apart.stop();
      }
    }
    if (on('mixed')) {
      // The gateway asks before each model call and reports after it: both at once on one API.
      const before = await engine.probe();
      const [beside, ingest] = await Promise.all([
        closedLoop(checks(ready.usagePort), { concurrency: 4, seconds }),
        openLoop(reports(ready.usagePort, 1), { rate: 5000, seconds }),
      ]);
      const used = since(before, await engine.probe());
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

  const stored = await engine.stored();
  console.log(`\n${engine.dialect} summary, min / median / max over ${opts.runs} runs`);
  for (const [label, row] of table) {
    console.log(
      `  ${label.padEnd(44)} ${spread(row.rate).padStart(24)} ${row.unit}/s   p50 ${spread(row.p50, 2)} ms   p99 ${spread(row.p99, 2)} ms   API CPU ${spread(row.cpu)} µs/req${row.database.length ? `, PostgreSQL ${spread(row.database)} µs` : ''}`,
    );
  }
  console.log(
    `  stored events ${stored.toLocaleString('en-US')}; accepted in answers (warm-up included) ${acceptedTotal.toLocaleString('en-US')}${stored === acceptedTotal ? '' : '  MISMATCH'}`,
  );
  printGoals(engine.dialect, table);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '8' },
      runs: { type: 'string', default: '3' },
      concurrency: { type: 'string', default: '16' },
      dialect: { type: 'string', default: 'sqlite,postgresql' },
      profile: { type: 'string' },
      statements: { type: 'boolean', default: false },
      // The access lane and the gateway's timed checks go first for the CPU, standing in for the cores of
      // their own they have in production (on two cores, the flood's load and API would otherwise take them).
      // Real-time, not a niceness: at nice -10 a check woken while the flood ran still waited 3-5 ms at p99.
      'access-priority': { type: 'string', default: 'fifo:10' },
      many: { type: 'string', default: '10000' },
      phases: {
        type: 'string',
        default: 'ceiling,one,credits,many,subjects,ten,batch,fixed,check,mixed,overload',
      },
    },
  });
  const opts = {
    seconds: Number(values.seconds),
    runs: Number(values.runs),
    concurrency: Number(values.concurrency),
    phases: values.phases.split(','),
  };
  console.log(
    `usage benchmark — API in its own process, load from this one; figures are min / median / max of ${opts.runs} runs`,
  );
  for (const d of values.dialect.split(',')) {
    if (d !== 'sqlite' && d !== 'postgresql') throw new Error(`--dialect: sqlite or postgresql, not ${d}`);
    const engine = await startEngine(d as Dialect, {
      profile: values.profile ?? null,
      statements: values.statements,
      accessLane: opts.phases.includes('overload')
        ? { priority: parsePriority(values['access-priority']) }
        : null,
      manyCustomers: opts.phases.includes('many') ? Number(values.many) : 0,
    });
    try {
      await runPhases(engine, opts);
    } finally {
      await engine.stop();
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
