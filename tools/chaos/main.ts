/**
 * `npm run chaos [-- --customers 200 --events 40 --seed 7 --no-faults]`: a month of customers on the
 * production topology with workers, APIs, Temporal and PostgreSQL killed along the way (./run.ts); prints
 * the figures and every invariant, and exits 1 if any broke. Loopback only; bounded by its counts.
 */
import { mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeReport, runChaos } from './run';

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const value = Number(args[i + 1]);
  if (!Number.isInteger(value) || value < 1 || value > 100_000)
    throw new Error(`${name} must be a whole number from 1`);
  return value;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  // Ctrl-C: exiting runs the cluster's own clean-up, which stops every process it started.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
  const dir = mkdtempSync(join(tmpdir(), 'chaos-'));
  // PostgreSQL runs as its own user when this runs as root, and must reach its data folder.
  chmodSync(dir, 0o755);
  try {
    const report = await runChaos({
      dir,
      customers: option(args, '--customers', 100),
      eventsPerCustomer: option(args, '--events', 30),
      seed: option(args, '--seed', 1),
      faults: !args.includes('--no-faults'),
      log: (line) => console.error(`[chaos] ${line}`),
    });
    console.log(describeReport(report));
    return report.ok ? 0 : 1;
  } finally {
    if (!args.includes('--keep')) rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error((err as Error).stack ?? String(err));
    process.exit(1);
  },
);
