import { usageRollupStatus, type UsageRollupTotals } from './messages';
import {
  ActivityFailure,
  continueAsNew,
  log,
  proxyActivities,
  setHandler,
  sleep,
} from '@temporalio/workflow';
import type { ReportResult, RollupResult, UsageActivities } from '../activities/usage';
import { dbActivityOptions, stripeCallOptions } from './activity-options';

export interface UsageRollupInput {
  /** Pause between cycles (default 300 s). */
  intervalSeconds?: number;
  /** Width of a rollup window (default 300 s); events are rolled up once their window has closed. */
  windowSeconds?: number;
  /** Cycles per run before continue-as-new keeps the history short (default 12, one hour at 5 min). */
  cyclesPerRun?: number;
  /** Stop after this many cycles in total and return the totals (tests; one-shot runs from a Schedule). */
  maxCycles?: number;
  /** Carried across continue-as-new. */
  totals?: UsageRollupTotals;
}

export type { UsageRollupTotals } from './messages';

/** The workflow id of the one rollup loop: a business key, so a second start finds the running one. */
export const USAGE_ROLLUP_WORKFLOW_ID = 'usage-rollup';

const db = proxyActivities<UsageActivities>(dbActivityOptions);
// A receiver that stays down fails the cycle after ten minutes instead of holding the loop.
const external = proxyActivities<UsageActivities>({
  ...stripeCallOptions,
  scheduleToCloseTimeout: '10 minutes',
});

/** Calls an activity until it reports nothing left, a bounded number of times per cycle. */
async function drain<T extends RollupResult | ReportResult>(
  call: () => Promise<T>,
  rounds = 50,
): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < rounds; i++) {
    const r = await call();
    results.push(r);
    if (!r.more) break;
  }
  return results;
}

/** Every few minutes: fold closed usage windows into rollups, report them to Stripe Meters and Lago. */
export async function usageRollupWorkflow(input: UsageRollupInput = {}): Promise<UsageRollupTotals> {
  const intervalSeconds = input.intervalSeconds ?? 300;
  const windowSeconds = input.windowSeconds ?? 300;
  const cyclesPerRun = input.cyclesPerRun ?? 12;
  const totals: UsageRollupTotals = input.totals ?? {
    cycles: 0,
    events: 0,
    rollups: 0,
    stripeReported: 0,
    lagoReported: 0,
    failedCycles: 0,
  };
  setHandler(usageRollupStatus, () => totals);
  const failed = (err: unknown) => {
    totals.failedCycles++;
    totals.lastFailureAt = new Date().toISOString();
    const cause = err instanceof ActivityFailure && err.cause ? err.cause : err;
    totals.lastError = (cause instanceof Error ? cause.message : String(cause)).slice(0, 500);
  };

  for (let run = 0; run < cyclesPerRun; run++) {
    try {
      for (const r of await drain(() => db.rollupUsage({ windowSeconds }))) {
        totals.events += r.events;
        totals.rollups += r.rollups;
      }
      // Stripe and Lago are independent receivers: one being down does not hold back the other.
      const [stripe, lago] = await Promise.allSettled([
        drain(() => external.reportRollupsToStripe({})),
        drain(() => external.reportRollupsToLago({})),
      ]);
      if (stripe.status === 'fulfilled') for (const r of stripe.value) totals.stripeReported += r.reported;
      if (lago.status === 'fulfilled') for (const r of lago.value) totals.lagoReported += r.reported;
      const rejected = [stripe, lago].find((r) => r.status === 'rejected');
      if (rejected) failed(rejected.reason);
    } catch (err) {
      // A cycle that fails for good is logged and the next one tries again: the loop must not end.
      if (!(err instanceof ActivityFailure)) throw err;
      failed(err);
      log.warn('usage rollup cycle failed', { error: err.message });
    }
    totals.cycles++;
    totals.lastCycleAt = new Date().toISOString();
    if (input.maxCycles !== undefined && totals.cycles >= input.maxCycles) return totals;
    await sleep(intervalSeconds * 1000);
  }
  return continueAsNew<typeof usageRollupWorkflow>({ ...input, totals });
}
