import type { CoreDeps } from '../deps';
import { AppError } from '../../domain/errors';
import { num, readDate, sqlFor } from '../../db/raw-sql';
import { rollupProgress } from '../../db/rollup-backlog';
import { usageRollupStatus, type UsageRollupTotals } from '../../workflows/messages';
import { workflowIds } from '../../workflows/ids';
import { callWorkflow, PROBE_DEADLINE_MS } from '../temporal/gateway';

const date = (v: unknown) => (v == null ? null : readDate(v));

/** What the rollup loop says of itself: its run, and its totals, last cycle and last failure. */
async function askTheLoop(deps: Pick<CoreDeps, 'temporal' | 'config'>) {
  const handle = deps.temporal.workflow.getHandle(workflowIds.usageRollup());
  try {
    const [described, totals] = await callWorkflow(
      deps,
      () => Promise.all([handle.describe(), handle.query<UsageRollupTotals>(usageRollupStatus)]),
      { deadlineMs: PROBE_DEADLINE_MS },
    );
    return {
      reachable: true as const,
      status: described.status.name,
      runStartedAt: described.startTime,
      cycles: totals.cycles,
      events: totals.events,
      rollups: totals.rollups,
      stripeReported: totals.stripeReported,
      lagoReported: totals.lagoReported,
      failedCycles: totals.failedCycles,
      lastCycleAt: totals.lastCycleAt ?? null,
      lastFailureAt: totals.lastFailureAt ?? null,
      lastError: totals.lastError ?? null,
      error: null,
    };
  } catch (err) {
    const why =
      (err as { name?: string }).name === 'WorkflowNotFoundError'
        ? 'The usage-rollup workflow is not running'
        : `The usage-rollup workflow could not be asked: ${err instanceof AppError ? err.message : (err as Error).message}`;
    return { reachable: false as const, error: why };
  }
}

/**
 * The usage rollup's state for operators: from the database, the last rollup written and the lag of the
 * oldest event not rolled up yet, with what still waits for Stripe and Lago; from the workflow's own
 * query (when Temporal answers within 2 s), its cycles, last cycle and failures.
 */
export async function usageRollupState(deps: Pick<CoreDeps, 'orm' | 'temporal' | 'config'>, now: Date) {
  const sql = sqlFor(deps.orm.em.fork());
  const [s, loop] = await Promise.all([rollupProgress(sql), askTheLoop(deps)]);
  const oldest = date(s?.oldest);
  return {
    asOf: now,
    lastRollupAt: date(s?.last_rollup),
    eventsNotRolledUp: num(s?.pending),
    oldestUnrolledEventAt: oldest,
    /** How far the rollup is behind: the age of the oldest event not rolled up yet (0 when none waits). */
    lagSeconds: oldest ? Math.max(0, Math.round((now.getTime() - oldest.getTime()) / 1000)) : 0,
    rollupsNotInStripe: num(s?.stripe),
    rollupsNotInLago: num(s?.lago),
    oldestUnreportedRollupAt: date(s?.oldest_unreported),
    workflow: loop,
  };
}
