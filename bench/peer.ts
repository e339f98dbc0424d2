/**
 * The engine beside a real peer, Kill Bill, on the same machine, one after the other, driven by the same
 * load generator (bench/load.ts: closed loop, keep-alive, 16 in flight) in the same shapes: usage reported
 * one event per request and ten per request, and a customer's invoice list read. Both store on a
 * PostgreSQL cluster with fsync and synchronous_commit on, started the same way; the engine also on SQLite
 * when asked. Every customer and account has the same handful of paid invoices on both sides. The engine's
 * other reads of a customer's own billing (subscription, usage, payment methods, access), which Kill Bill
 * has no one call for, run in the same run and are set beside Kill Bill's invoice read. Each phase runs
 * `--runs` times after a warm-up that lasts until no rate still rises; the table prints min / median / max
 * for both and the ratio of the medians (engine ÷ Kill Bill). Kill Bill is fetched with Maven at run time
 * (see bench/killbill.ts); when it cannot start, the error is printed and the engine's figures still are.
 *
 *   npm run bench:peer [-- --seconds 15 --runs 3 --concurrency 16 --warmup 10 --warmup-rounds 8
 *                         --engine postgresql,sqlite --skip-killbill]
 */
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import {
  CUSTOMERS,
  customerReadTarget,
  INVOICES_PER_CUSTOMER,
  reportTarget,
  startEngine,
  type CustomerRead,
  type Dialect,
} from './engine';
import { killBillInvoiceTarget, killBillUsageTarget, KILLBILL_VERSION, startKillBill } from './killbill';
import { closedLoop, figures, spread, type Target } from './load';

interface Shape {
  key: 'one' | 'ten' | 'read' | CustomerRead;
  label: string;
  unit: string;
  unitsPerRequest: number;
  /** The engine's read this shape is (the usage shapes report instead). */
  read?: CustomerRead;
  /** Measured on the engine only, and set beside Kill Bill's invoice read. */
  engineOnly?: boolean;
}

const engineRead = (read: CustomerRead, label: string): Shape => ({
  key: read,
  label,
  unit: 'reads/s',
  unitsPerRequest: 1,
  read,
  engineOnly: true,
});

const SHAPES: Shape[] = [
  { key: 'one', label: 'usage, 1 event per request', unit: 'events/s', unitsPerRequest: 1 },
  { key: 'ten', label: 'usage, 10 events per request', unit: 'events/s', unitsPerRequest: 10 },
  { key: 'read', label: "a customer's invoice list", unit: 'reads/s', unitsPerRequest: 1, read: 'invoices' },
  engineRead('subscription', 'GET /billing/subscription'),
  engineRead('usage', 'GET /billing/usage'),
  engineRead('payment-methods', 'GET /billing/payment-methods'),
  engineRead('my-access', 'GET /subscriptions/my-access'),
];

interface Figures {
  rate: number[];
  p99: number[];
  failures: number;
}

type System = { name: string; figures: Map<Shape['key'], Figures> } | { name: string; error: string };

/** A warm-up round's rate at most this share above every round before it counts as no longer rising. */
const STEADY_WITHIN = 0.1;

/**
 * Whether a shape's rate has stopped rising: its last warm-up round is within `STEADY_WITHIN` above the best
 * of the rounds before. A fall does not count against it: the engine's rates move by a tenth between rounds
 * either way, and a JVM's warming shows as a rise.
 */
function steady(rates: number[]): boolean {
  if (rates.length < 2) return false;
  const last = rates[rates.length - 1] as number;
  return last <= (1 + STEADY_WITHIN) * Math.max(...rates.slice(0, -1));
}

/**
 * Warm-up rounds, each running every shape once, until a round in which no shape's rate rose by more than a
 * tenth over its best before (or `warmupRounds` have run), then `runs` rounds of every shape. A JVM compiles
 * its hot code over its first minutes, and code one shape warms serves the others: with a fixed 10 s a
 * shape, or rounds of one shape at a time, Kill Bill's one-event rate still rose by up to three times over
 * the measured runs, and the ratios flattered the engine.
 */
async function measure(
  name: string,
  target: (shape: Shape, tag: string) => Target,
  opts: {
    seconds: number;
    runs: number;
    concurrency: number;
    warmup: number;
    warmupRounds: number;
    engine?: boolean;
  },
): Promise<System> {
  let tag = 0;
  const next = () => `${name.replace(/\W+/g, '')}${Date.now().toString(36)}x${tag++}`;
  const shapes = SHAPES.filter((s) => !s.engineOnly || opts.engine);
  const warming = new Map<Shape['key'], number[]>(shapes.map((s) => [s.key, []]));
  const rates = (shape: Shape) => warming.get(shape.key) as number[];
  for (let round = 1; round <= opts.warmupRounds; round++) {
    for (const shape of shapes) {
      const result = await closedLoop(target(shape, next()), {
        concurrency: opts.concurrency,
        seconds: opts.warmup,
      });
      rates(shape).push(figures(result, shape.unitsPerRequest).rate);
    }
    if (shapes.every((shape) => steady(rates(shape)))) break;
  }
  for (const shape of shapes)
    console.log(
      `  ${name.padEnd(22)} warm-up ${shape.label.padEnd(30)} ${rates(shape)
        .map((r) => Math.round(r).toLocaleString('en-US'))
        .join(' → ')} ${shape.unit}${steady(rates(shape)) ? '' : '  (not steady within the rounds allowed)'}`,
    );
  const out = new Map<Shape['key'], Figures>();
  for (let run = 1; run <= opts.runs; run++) {
    for (const shape of shapes) {
      const result = await closedLoop(target(shape, next()), {
        concurrency: opts.concurrency,
        seconds: opts.seconds,
      });
      const f = figures(result, shape.unitsPerRequest);
      const row = out.get(shape.key) ?? { rate: [], p99: [], failures: 0 };
      row.rate.push(f.rate);
      row.p99.push(f.p99);
      row.failures += result.failures;
      out.set(shape.key, row);
      console.log(
        `  ${name.padEnd(22)} run ${run}  ${shape.label.padEnd(30)} ${Math.round(f.rate).toLocaleString('en-US').padStart(8)} ${shape.unit}  p50 ${f.p50.toFixed(1)} ms  p99 ${f.p99.toFixed(1)} ms  (${result.requests} requests, ${result.failures} failed)${result.failureSamples[0] ? `  e.g. ${result.failureSamples[0]}` : ''}`,
      );
    }
  }
  return { name, figures: out };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] as number;

function report(systems: System[], peer: System | null): void {
  console.log('\nsummary: min / median / max over the runs; ratio = engine median ÷ Kill Bill median');
  for (const shape of SHAPES) {
    console.log(`\n  ${shape.label} (${shape.unit}, p99 latency)`);
    for (const s of systems) {
      if ('error' in s) {
        console.log(`    ${s.name.padEnd(24)} did not run: ${s.error.split('\n')[0]}`);
        continue;
      }
      const f = s.figures.get(shape.key);
      if (!f) continue;
      const against =
        peer && !('error' in peer) ? peer.figures.get(shape.engineOnly ? 'read' : shape.key) : null;
      const ratio =
        against && s !== peer
          ? `   ratio ${(median(f.rate) / median(against.rate)).toFixed(1)}×${shape.engineOnly ? " Kill Bill's invoice read" : ''}`
          : '';
      console.log(
        `    ${s.name.padEnd(24)} ${spread(f.rate).padStart(26)}   p99 ${spread(f.p99, 1)} ms${f.failures ? `   ${f.failures} failed` : ''}${ratio}`,
      );
    }
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '15' },
      warmup: { type: 'string', default: '10' },
      'warmup-rounds': { type: 'string', default: '8' },
      runs: { type: 'string', default: '3' },
      concurrency: { type: 'string', default: '16' },
      engine: { type: 'string', default: 'postgresql' },
      'skip-killbill': { type: 'boolean', default: false },
    },
  });
  const opts = {
    seconds: Number(values.seconds),
    warmup: Number(values.warmup),
    warmupRounds: Number(values['warmup-rounds']),
    runs: Number(values.runs),
    concurrency: Number(values.concurrency),
  };
  if (!Number.isInteger(opts.warmupRounds) || opts.warmupRounds < 1)
    throw new Error(`--warmup-rounds: a whole number of at least 1, not ${values['warmup-rounds']}`);
  console.log(
    `peer benchmark — ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB; ` +
      `${opts.concurrency} in flight, keep-alive, ${opts.runs} runs of ${opts.seconds} s per shape after warm-up rounds (every shape for ${opts.warmup} s) until no shape rises more than ${STEADY_WITHIN * 100} % over its best round before (at most ${opts.warmupRounds} rounds); ` +
      `${CUSTOMERS} customers with ${INVOICES_PER_CUSTOMER} paid invoices each on both sides`,
  );
  const systems: System[] = [];
  let peer: System | null = null;

  if (!values['skip-killbill']) {
    const name = `Kill Bill ${KILLBILL_VERSION} (PostgreSQL)`;
    console.log(`\n${name}`);
    try {
      const kb = await startKillBill();
      try {
        console.log(
          `  healthy ${kb.startupSeconds.toFixed(1)} s after the JVM started; seeding ${CUSTOMERS} accounts`,
        );
        const seeded = await kb.seed(CUSTOMERS, INVOICES_PER_CUSTOMER);
        const subscriptions = seeded.map((s) => s.subscriptionId);
        const accounts = seeded.map((s) => s.accountId);
        peer = await measure(
          name,
          (shape, tag) =>
            shape.key === 'read'
              ? killBillInvoiceTarget(kb, accounts)
              : killBillUsageTarget(kb, subscriptions, shape.unitsPerRequest, tag),
          opts,
        );
        systems.push(peer);
      } finally {
        await kb.stop();
      }
    } catch (err) {
      const error = (err as Error).message;
      console.log(`  Kill Bill could not be measured: ${error}`);
      peer = { name, error };
      systems.push(peer);
    }
  }

  for (const dialect of values.engine.split(',') as Dialect[]) {
    if (dialect !== 'sqlite' && dialect !== 'postgresql')
      throw new Error(`--engine: sqlite or postgresql, not ${dialect}`);
    const name = `this engine (${dialect === 'postgresql' ? 'PostgreSQL' : 'SQLite'})`;
    console.log(`\n${name}`);
    const engine = await startEngine(dialect);
    try {
      const port = engine.ready.usagePort;
      systems.push(
        await measure(
          name,
          (shape, tag) =>
            shape.read
              ? customerReadTarget(engine.ready, port, shape.read)
              : reportTarget(engine.ready, port, shape.unitsPerRequest, tag),
          { ...opts, engine: true },
        ),
      );
    } finally {
      await engine.stop();
    }
  }
  report(systems, peer);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
