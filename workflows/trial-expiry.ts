import { proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities, TrialOutcome } from '../activities';
import { dbActivityOptions } from './activity-options';

const { endTrial, queueNotification } = proxyActivities<Activities>(dbActivityOptions);

const DAY_MS = 24 * 60 * 60 * 1000;
/** Stripe sends `trial_will_end` three days ahead; customers get our reminder at the same point. */
export const TRIAL_REMINDER_LEAD_MS = 3 * DAY_MS;

export interface TrialExpiryInput {
  subscriptionId: string;
  customerId: string;
  email: string;
  trialEnd: string;
}

/** Waits out a trial on a durable timer, reminds before the end, then converts or expires it. */
export async function trialExpiry(input: TrialExpiryInput): Promise<TrialOutcome> {
  const trialEnd = Date.parse(input.trialEnd);
  const reminderAt = trialEnd - TRIAL_REMINDER_LEAD_MS;
  if (reminderAt > Date.now()) {
    await sleep(reminderAt - Date.now());
    await queueNotification({
      customerId: input.customerId,
      email: input.email,
      kind: 'trial_will_end',
      dedupeKey: `trial_will_end:${input.subscriptionId}:${workflowInfo().firstExecutionRunId}`,
      payload: { subscriptionId: input.subscriptionId, trialEnd: input.trialEnd },
    });
  }
  if (trialEnd > Date.now()) await sleep(trialEnd - Date.now());
  return endTrial(input.subscriptionId);
}
