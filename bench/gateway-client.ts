/**
 * The gateway client (packages/gateway-client) on the engine as production runs it (bench/engine.ts, SQLite):
 *
 * 1. The local decision: `client.decide()` for a customer whose verified snapshot the client holds, each
 *    call timed alone; p50 / p99 / max per run, beside the cost of reading the clock twice.
 * 2. Overspend: G gateway processes, each with its own client and spool, let calls through for one
 *    customer with a 10,000-a-day cap at ρ calls a second each, deciding locally and recording each call
 *    it lets through; they stop once refused for two seconds. What they let through past the cap is the
 *    overspend, printed beside the bound (packages/gateway-client/src/bound.ts) computed from the same
 *    run's measured report and fetch times.
 *
 *   npx tsx bench/gateway-client.ts [--runs 3] [--gateways 4] [--rate 250] [--refresh 1] [--grace 0.5]
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { GatewayClient, overspendBound, type ClientStats } from '../packages/gateway-client/src';
import { startEngine } from './engine';
import { spread } from './load';

/** The engine's counter cache: how stale a snapshot's counters may be (C of the bound). */
const ENGINE_STALENESS_SECONDS = 1;

interface GatewayJob {
  baseUrl: string;
  token: string;
  userId: string;
  rate: number;
  refresh: number;
  grace: number;
}

interface GatewayResult {
  admitted: number;
  decisions: number;
  stats: ClientStats;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One gateway process: calls at `rate` a second, each let through when the client allows it. */
async function runGateway(job: GatewayJob): Promise<GatewayResult> {
  const spoolDir = mkdtempSync(join(tmpdir(), 'bench-gw-'));
  const client = await GatewayClient.start({
    baseUrl: job.baseUrl,
    token: job.token,
    spoolDir,
    refreshSeconds: job.refresh,
    graceSeconds: job.grace,
    engineStalenessSeconds: ENGINE_STALENESS_SECONDS,
    flushIntervalMs: 50,
  });
  const ref = { userId: job.userId };
  let admitted = 0;
  let decisions = 0;
  let refusedSince: number | null = null;
  const started = Date.now();
  const records: Promise<string>[] = [];
  for (let k = 0; Date.now() - started < 60_000; k++) {
    const due = started + (k * 1000) / job.rate;
    if (due > Date.now()) await sleep(due - Date.now());
    const d = client.decide(ref, 'api_calls') ?? (await client.check(ref, 'api_calls'));
    decisions++;
    if (d.allowed) {
      admitted++;
      refusedSince = null;
      records.push(client.record(ref, { type: 'inference', quantity: 1 }));
    } else {
      refusedSince ??= Date.now();
      if (Date.now() - refusedSince > 2000) break;
    }
  }
  await Promise.all(records);
  await client.flush();
  const stats = client.stats();
  await client.close();
  rmSync(spoolDir, { recursive: true, force: true });
  return { admitted, decisions, stats };
}

function gatewayProcess(job: GatewayJob): Promise<GatewayResult> {
  const child = fork(__filename, ['--gateway', JSON.stringify(job)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m as GatewayResult));
    child.once('exit', (code) => reject(new Error(`a gateway process exited with ${code}`)));
  });
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
async function main() {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '3' },
      gateways: { type: 'string', default: '4' },
      rate: { type: 'string', default: '250' },
      refresh: { type: 'string', default: '1' },
      grace: { type: 'string', default: '0.5' },
    },
  });
  const runs = Number(values.runs);
  const G = Number(values.gateways);
  const rate = Number(values.rate);
  const refresh = Number(values.refresh);
  const grace = Number(values.grace);
  const engine = await startEngine('sqlite');
  const baseUrl = `http://127.0.0.1:${engine.ready.usagePort}`;
  const token = engine.ready.gatewayToken;
  const capCustomers = engine.ready.capCustomers;
  if (capCustomers.length < runs + 1) throw new Error(`at most ${capCustomers.length - 1} runs`);
  try {
    // 1. The local decision.
    const dir = mkdtempSync(join(tmpdir(), 'bench-gw-'));
    const client = await GatewayClient.start({ baseUrl, token, spoolDir: dir, refreshSeconds: 3600 });
    const ref = { userId: capCustomers[capCustomers.length - 1] as string };
    await client.check(ref, 'api_calls');
    const p50s: number[] = [];
    const p99s: number[] = [];
    const maxes: number[] = [];
    const clockCosts: number[] = [];
    for (let r = 0; r < runs; r++) {
      const n = 200_000;
      const times = new Float64Array(n);
      const empty = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const a = process.hrtime.bigint();
        client.decide(ref, i % 3 === 0 ? 'chat' : 'api_calls', { quantity: 1 + (i % 5) });
        times[i] = Number(process.hrtime.bigint() - a) / 1000;
        const b = process.hrtime.bigint();
        empty[i] = Number(process.hrtime.bigint() - b) / 1000;
      }
      const sorted = [...times].sort((x, y) => x - y);
      p50s.push(percentile(sorted, 0.5));
      p99s.push(percentile(sorted, 0.99));
      maxes.push(sorted[sorted.length - 1] as number);
      clockCosts.push(
        percentile(
          [...empty].sort((x, y) => x - y),
          0.5,
        ),
      );
    }
    await client.close();
    rmSync(dir, { recursive: true, force: true });
    console.log(`\nGateway client, local decision (${runs} runs of 200,000; min / median / max, µs):`);
    console.log(
      `  p50 ${spread(p50s, 2)}   p99 ${spread(p99s, 2)}   max ${spread(maxes)}   (reading the clock twice: ${spread(clockCosts, 2)})`,
    );
    console.log(`  goal p99 ≤ 50 µs: ${Math.max(...p99s) <= 50 ? 'met' : 'NOT met'}`);

    // 2. Overspend: G gateways against one customer's cap.
    console.log(
      `\nOverspend: ${G} gateway processes at ${rate} calls/s each against a 10,000-a-day cap (S ${refresh} s, F ${grace} s, C ${ENGINE_STALENESS_SECONDS} s):`,
    );
    const ratios: number[] = [];
    for (let r = 0; r < runs; r++) {
      const userId = capCustomers[r] as string;
      const before = await fetch(`${baseUrl}/api/v1/entitlements/check?feature=api_calls&user_id=${userId}`, {
        headers: { authorization: `Bearer ${token}` },
      }).then((x) => x.json() as Promise<{ remaining: number }>);
      const results = await Promise.all(
        Array.from({ length: G }, () => gatewayProcess({ baseUrl, token, userId, rate, refresh, grace })),
      );
      const admitted = results.reduce((a, x) => a + x.admitted, 0);
      const over = Math.max(0, admitted - before.remaining);
      const B = Math.max(...results.map((x) => x.stats.maxReportMs)) / 1000;
      const F = Math.max(grace, ...results.map((x) => x.stats.maxFetchMs / 1000));
      const bound = overspendBound({
        gateways: G,
        unitsPerSecondPerGateway: rate,
        maxQuantity: 1,
        refreshSeconds: refresh,
        fetchSeconds: F,
        reportSeconds: B,
        engineStalenessSeconds: ENGINE_STALENESS_SECONDS,
      });
      ratios.push(over / bound);
      const rejected = results.reduce((a, x) => a + x.stats.rejected, 0);
      console.log(
        `  run ${r + 1}: let through ${admitted} for ${before.remaining} left: overspend ${over} units; bound ${Math.round(bound)} (B ${(B * 1000).toFixed(0)} ms, F ${(F * 1000).toFixed(0)} ms); refused by the engine as over the cap: ${rejected}`,
      );
    }
    console.log(`  overspend ÷ bound: ${spread(ratios, 2)} (≤ 1 holds the formula)`);
  } finally {
    await engine.stop();
  }
}

if (process.argv[2] === '--gateway') {
  void runGateway(JSON.parse(process.argv[3] as string) as GatewayJob).then(
    (r) => {
      process.send?.(r);
      process.disconnect?.();
    },
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
} else {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
