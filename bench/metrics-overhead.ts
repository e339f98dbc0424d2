/**
 * What the API's metrics cost a request, measured on the work itself: the request middleware's (timer,
 * in-flight gauge, the route histogram: the calls api/middleware/http-metrics.ts makes around each
 * request) and a usage report's and a check-access call's own figures, each run a million times. Divide by
 * the API's CPU time per request that `npm run bench:usage` prints (`API CPU … µs/request`) for the share
 * of a request the metrics take.
 *
 *   npx tsx bench/metrics-overhead.ts [--runs 3] [--iterations 1000000]
 */
import { parseArgs } from 'node:util';
import {
  checkAccessDuration,
  httpRequestBegan,
  httpRequestEnded,
  quotaDenials,
  secondsSince,
  usageEvents,
} from '../telemetry/api-metrics';
import { registry } from '../telemetry/registry';
import { spread } from './load';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '3' }, iterations: { type: 'string', default: '1000000' } },
});
const runs = Number(values.runs);
const n = Number(values.iterations);

async function main(): Promise<void> {
  const next = () => Promise.resolve();
  const routes = ['/api/v1/billing/report_usage', '/api/v1/subscriptions/check-access/:service'];
  const request = async (i: number) => {
    const start = httpRequestBegan();
    try {
      await next();
    } finally {
      httpRequestEnded(start, 'POST', routes[i % 2] as string, 200);
    }
  };

  const perCall = async (label: string, body: (i: number) => unknown): Promise<void> => {
    const micros: number[] = [];
    for (let r = 0; r < runs; r++) {
      const t = process.hrtime.bigint();
      for (let i = 0; i < n; i++) await body(i);
      micros.push((Number(process.hrtime.bigint() - t) / 1e3 / n) * 1);
    }
    console.log(`  ${label.padEnd(52)} ${spread(micros, 3)} µs per request (min / median / max)`);
  };

  console.log(`metrics cost per request, ${n.toLocaleString('en-US')} calls a run, ${runs} runs:`);
  await perCall('request middleware (timer, in-flight, route histogram)', request);
  await perCall('a usage report (accepted and duplicate counters)', () => {
    usageEvents.inc({ outcome: 'accepted', reason: '' }, 1);
    usageEvents.inc({ outcome: 'duplicate', reason: '' }, 1);
  });
  await perCall('a check-access call (latency histogram)', () => {
    const start = process.hrtime.bigint();
    checkAccessDuration.observe({ allowed: 'true' }, secondsSince(start));
  });
  await perCall('a quota denial (counter)', () => quotaDenials.inc({ plan: 'starter', where: 'report' }));
  const t = process.hrtime.bigint();
  const text = await registry.metrics();
  console.log(
    `  one scrape of /metrics: ${(Number(process.hrtime.bigint() - t) / 1e6).toFixed(1)} ms, ${(text.length / 1024).toFixed(0)} KiB`,
  );
}

void main();
