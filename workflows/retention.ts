import { ActivityFailure, continueAsNew, log, patched, proxyActivities, sleep } from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  DEFAULT_RETENTION_DAYS,
  RETAINED_KINDS,
  RETAINED_KINDS_BEFORE_SUBJECT_USAGE,
  retentionCutoff,
} from '../domain/retention';
import { dbActivityOptions } from './activity-options';

export interface RetentionInput {
  /** RETENTION_DAYS: finished records older than this go. */
  retentionDays?: number;
  /** Pause between cycles (default a day). */
  intervalSeconds?: number;
  /** Rows deleted per statement (default 500): short transactions, no long lock. */
  batch?: number;
  /** Stop after this many cycles (tests). */
  maxCycles?: number;
  /** Carried across continue-as-new. */
  cycles?: number;
}

/** The workflow id of the one retention loop. */
export const RETENTION_WORKFLOW_ID = 'retention';

const db = proxyActivities<Activities>(dbActivityOptions);

/**
 * Once a day: deletes the finished records older than the retention window (outgoing webhook attempts and
 * deliveries, published billing events, customer mails, finished top-up tries, subjects' usage counters of
 * windows long over), a batch at a time, at most 100 batches of a kind a day so one cycle never holds the
 * database for long. Answers the rows pruned in the cycles of this run.
 */
export async function retentionWorkflow(input: RetentionInput = {}): Promise<number> {
  const days = input.retentionDays ?? DEFAULT_RETENTION_DAYS;
  const batch = input.batch ?? 500;
  let cycles = input.cycles ?? 0;
  let pruned = 0;
  for (let run = 0; run < 30; run++) {
    const cutoff = retentionCutoff(new Date(), days).toISOString();
    // Subjects' usage counters joined the kinds later: a run begun before keeps the kinds it had.
    const kinds = patched('retention-subject-usage') ? RETAINED_KINDS : RETAINED_KINDS_BEFORE_SUBJECT_USAGE;
    for (const kind of kinds) {
      try {
        for (let page = 0; page < 100; page++) {
          const r = await db.pruneRetained({ kind, cutoff, limit: batch });
          pruned += r.pruned;
          if (!r.more) break;
        }
      } catch (err) {
        // A kind that fails for good is logged and tried again next cycle: the loop must not end.
        if (!(err instanceof ActivityFailure)) throw err;
        log.warn('retention failed', { kind, error: err.message });
      }
    }
    cycles++;
    if (input.maxCycles !== undefined && cycles >= input.maxCycles) return pruned;
    await sleep((input.intervalSeconds ?? 86_400) * 1000);
  }
  return continueAsNew<typeof retentionWorkflow>({ ...input, cycles });
}
