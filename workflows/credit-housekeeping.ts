import { ActivityFailure, continueAsNew, log, proxyActivities, sleep } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { dbActivityOptions } from './activity-options';
import { creditTopUpWorkflow } from './credits';
import { workflowIds } from './ids';
import { startDetached } from './start-detached';

export interface CreditHousekeepingInput {
  /** Pause between cycles (default 60 s). */
  intervalSeconds?: number;
  /** Cycles per run before continue-as-new keeps the history short (default 60). */
  cyclesPerRun?: number;
  /** Stop after this many cycles (tests). */
  maxCycles?: number;
  /** Passed to each top-up it starts (CREDIT_TOP_UP_RETRY_SECONDS). */
  topUpRetryAfterSeconds?: number;
  /** Carried across continue-as-new. */
  cycles?: number;
}

/** The workflow id of the one housekeeping loop: a second start finds the running one. */
export const CREDIT_HOUSEKEEPING_WORKFLOW_ID = 'credit-housekeeping';

const db = proxyActivities<Activities>(dbActivityOptions);

/**
 * Every minute: writes the expiries of lapsed grants into the ledger, sends the alert mails the API
 * queued, and starts the automatic top-ups nobody started (the API died between a report and the start).
 * A top-up is a workflow of its own, named after its crossing and never started twice, so this and the
 * API starting the same crossing end in one charge.
 */
export async function creditHousekeepingWorkflow(input: CreditHousekeepingInput = {}): Promise<number> {
  const intervalSeconds = input.intervalSeconds ?? 60;
  const cyclesPerRun = input.cyclesPerRun ?? 60;
  let cycles = input.cycles ?? 0;
  for (let run = 0; run < cyclesPerRun; run++) {
    try {
      for (let page = 0; page < 20; page++) if (!(await db.expireCredits({})).more) break;
      await db.sendQueuedAlertMails({});
      let after: string | null = '';
      for (let page = 0; page < 50 && after !== null; page++) {
        const due: Awaited<ReturnType<Activities['dueTopUps']>> = await db.dueTopUps({ after });
        for (const c of due.crossings) await startTopUp(c, input.topUpRetryAfterSeconds ?? 3600);
        after = due.next;
      }
    } catch (err) {
      // A cycle that fails for good is logged and the next one tries again: the loop must not end.
      if (!(err instanceof ActivityFailure)) throw err;
      log.warn('credit housekeeping cycle failed', { error: err.message });
    }
    cycles++;
    if (input.maxCycles !== undefined && cycles >= input.maxCycles) return cycles;
    await sleep(intervalSeconds * 1000);
  }
  return continueAsNew<typeof creditHousekeepingWorkflow>({ ...input, cycles });
}

async function startTopUp(c: { customerId: string; crossingKey: string }, retryAfterSeconds: number) {
  // The top-up outlives this loop's continue-as-new.
  await startDetached(creditTopUpWorkflow, {
    workflowId: workflowIds.creditTopUp(c.crossingKey),
    args: [{ customerId: c.customerId, crossingKey: c.crossingKey, retryAfterSeconds }],
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
  });
}
