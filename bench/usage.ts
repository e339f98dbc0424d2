/**
 * Usage hot-path benchmark: sustained ingestion through POST /billing/report_usage (batches of 1,000 into
 * the embedded SQLite database) and POST /subscriptions/check-access/:service, each beside the ceiling of
 * the same run (a bare Koa route that reads and parses the same request and answers). The API runs in a
 * child process and the load loop here, so each has a core. Loopback only; bounded in count and time.
 *
 *   npx tsx bench/usage.ts [--seconds 8] [--concurrency 16]
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

interface Ready {
  usagePort: number;
  ceilingPort: number;
  ingestToken: string;
  checkToken: string;
}

async function serve(): Promise<void> {
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
  const dir = mkdtempSync(join(tmpdir(), 'bench-usage-'));
  const orm = await openDatabase(`sqlite:${join(dir, 'billing.sqlite')}`);
  const idp = await startTestIdp();
  const periodStart = new Date(Date.now() - 86_400_000);
  // Enterprise has no daily cap (ingestion runs unhindered); professional's 10,000/day puts the counter
  // cache on check-access's path.
  const ingest = await seedSubscriber(orm, { email: 'ingest@bench.local', plan: 'enterprise', periodStart });
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
    ingestToken: await idp.token({ sub: ingest.sub, email: 'ingest@bench.local' }),
    checkToken: await idp.token({ sub: check.sub, email: 'check@bench.local' }),
  };
  process.send?.(ready);
  process.on('disconnect', () => {
    void orm.close().finally(() => {
      rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    });
  });
}

interface LoadResult {
  requests: number;
  seconds: number;
  failures: number;
  latenciesMs: number[];
}

/** Keeps `concurrency` keep-alive requests in flight until `maxRequests` or `seconds` is reached. */
function load(opts: {
  port: number;
  path: string;
  token?: string;
  body: () => string | null;
  concurrency: number;
  maxRequests: number;
  seconds: number;
  check?: (status: number, text: string) => boolean;
}): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: opts.concurrency });
  const latencies: number[] = [];
  let started = 0;
  let failures = 0;
  const t0 = process.hrtime.bigint();
  const deadline = Date.now() + opts.seconds * 1000;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const body = opts.body();
      const t = process.hrtime.bigint();
      const req = request(
        {
          agent,
          host: '127.0.0.1',
          port: opts.port,
          method: 'POST',
          path: opts.path,
          headers: {
            ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
            ...(body
              ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }
              : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
            const ok = opts.check
              ? opts.check(res.statusCode ?? 0, Buffer.concat(chunks).toString())
              : res.statusCode === 200;
            if (!ok) failures++;
            resolve();
          });
        },
      );
      req.on('error', () => {
        failures++;
        resolve();
      });
      req.end(body ?? undefined);
    });
  const lane = async () => {
    while (started < opts.maxRequests && Date.now() < deadline) {
      started++;
      await one();
    }
  };
  return Promise.all(Array.from({ length: opts.concurrency }, lane)).then(() => {
    agent.destroy();
    return {
      requests: latencies.length,
      seconds: Number(process.hrtime.bigint() - t0) / 1e9,
      failures,
      latenciesMs: latencies,
    };
  });
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

function row(label: string, r: LoadResult, unitsPerRequest = 1): string {
  const sorted = [...r.latenciesMs].sort((a, b) => a - b);
  const rate = Math.round((r.requests * unitsPerRequest) / r.seconds);
  return `${label.padEnd(34)} ${String(rate).padStart(9)}/s  p50 ${pct(sorted, 50).toFixed(2)} ms  p99 ${pct(sorted, 99).toFixed(2)} ms  (${r.requests} requests, ${r.failures} failed, ${r.seconds.toFixed(1)} s)`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { seconds: { type: 'string', default: '8' }, concurrency: { type: 'string', default: '16' } },
  });
  const seconds = Number(values.seconds);
  const concurrency = Number(values.concurrency);
  const child: ChildProcess = fork(__filename, ['--serve'], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.once('message', (m) => resolve(m as Ready));
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });

  const BATCH = 1000;
  let seq = 0;
  const batchBody = () => {
    const run = seq++;
    const events = new Array(BATCH);
    for (let i = 0; i < BATCH; i++)
      events[i] = { id: `b${run}-${i}`, type: i % 4 === 0 ? 'embedding' : 'inference', quantity: 1 };
    return JSON.stringify({ events });
  };
  const allAccepted = (status: number, text: string) =>
    status === 200 && (JSON.parse(text) as { accepted: number }).accepted === BATCH;
  const ingest = (port: number, check?: typeof allAccepted) =>
    load({
      port,
      path: '/api/v1/billing/report_usage',
      token: ready.ingestToken,
      body: batchBody,
      concurrency: 4,
      maxRequests: 2000,
      seconds,
      check,
    });
  const access = (port: number) =>
    load({
      port,
      path: '/api/v1/subscriptions/check-access/api',
      token: ready.checkToken,
      body: () => null,
      concurrency,
      maxRequests: 200_000,
      seconds,
    });

  // Warm-up: JIT, the JWKS fetch, SQLite's page cache.
  await load({
    ...{ port: ready.usagePort, path: '/api/v1/billing/report_usage' },
    token: ready.ingestToken,
    body: batchBody,
    concurrency: 2,
    maxRequests: 20,
    seconds: 2,
  });
  await access(ready.usagePort).then(() => undefined);

  console.log(`usage benchmark — ${seconds} s per run, loopback keep-alive, API in its own process\n`);
  console.log(row('ingestion ceiling (bare Koa)', await ingest(ready.ceilingPort), BATCH) + '  events');
  console.log(
    row('ingestion report_usage (1k batch)', await ingest(ready.usagePort, allAccepted), BATCH) + '  events',
  );
  console.log(row('check-access ceiling (bare Koa)', await access(ready.ceilingPort)));
  console.log(row('check-access', await access(ready.usagePort)));
  child.disconnect();
}

if (process.argv.includes('--serve')) void serve();
else
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
