import { log } from '@temporalio/workflow';
import { nextDeadline, type Deadline } from '../../domain/subscription';
import type { PendingChange } from '../messages';
import { db } from './activity-proxies';
import { setPending } from './pending-change';
import { switchPrice } from './plan-switch';
import type { Run } from './run';
import { endTrial } from './trial-end';
import { activityFailed, failureCause } from '../activity-failed';

export interface Timer {
  at: number;
  fire: () => Promise<void>;
}

/** The next deadline the domain names, with what the workflow does when it comes. */
export function nextTimer(run: Run): Timer | null {
  const due = nextDeadline(run.state, run.trialRecheckAt);
  return due ? { at: due.at, fire: () => onDeadline(run, due) } : null;
}

function onDeadline(run: Run, due: Deadline<PendingChange>): Promise<void> {
  switch (due.kind) {
    case 'trial_reminder':
      return remindOfTrialEnd(run);
    case 'trial_end':
      return endTrial(run, due.action);
    case 'scheduled_change':
      return applyScheduledChange(run, due.change);
  }
}

async function remindOfTrialEnd({ state }: Run): Promise<void> {
  state.trialReminderSent = true;
  await db.queueNotification({
    customerId: state.customerId,
    email: state.email,
    kind: 'trial_will_end',
    dedupeKey: `trial_will_end:${state.subscriptionId}`,
    payload: {
      trialEnd: state.trialEnd,
      continuation: state.pendingChange
        ? { tier: state.pendingChange.planCode, interval: state.pendingChange.interval }
        : null,
    },
  });
}

async function applyScheduledChange(run: Run, pending: PendingChange): Promise<void> {
  // Replaced meanwhile (an upgrade, another change): nothing to switch.
  if (run.state.pendingChange !== pending) return;
  try {
    await switchPrice(run, pending, 'none');
  } catch (err) {
    // Stripe refusing it (a price since archived) must not end the run nor retry every tick.
    if (!activityFailed(err)) throw err;
    log.warn('pending plan change refused by Stripe; withdrawn', {
      tier: pending.planCode,
      error: failureCause(err),
    });
    await setPending(run, null);
  }
}
