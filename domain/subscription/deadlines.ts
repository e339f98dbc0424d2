import { isFinal } from '../subscription-status';
import {
  TRIAL_REMINDER_BEFORE_END_MS,
  TRIAL_TIER,
  trialDecisionAt,
  trialEndAction,
  type TrialEndAction,
} from '../trial';
import type { ScheduledChange, SubscriptionFacts } from './facts';

const HOUR_MS = 60 * 60 * 1000;

/** What a subscription waits for besides Stripe's events, and when. */
export type Deadline<P extends ScheduledChange = ScheduledChange> =
  | { kind: 'trial_reminder'; at: number }
  | { kind: 'trial_end'; at: number; action: TrialEndAction }
  /** `change` is the very pending change armed; a different one in its place means it was replaced. */
  | { kind: 'scheduled_change'; at: number; change: P };

type Facts<P> = Pick<
  SubscriptionFacts,
  'status' | 'tier' | 'trialEnd' | 'trialReminderSent' | 'cancelAtPeriodEnd'
> & { pendingChange: P | null };

/** On the trial tier the pending change is the plan picked to follow the trial; the trial's end applies it. */
export function isTrialTierTrial(f: Pick<SubscriptionFacts, 'status' | 'tier'>): boolean {
  return f.status === 'trialing' && f.tier === TRIAL_TIER;
}

/**
 * The earliest deadline, or null when only Stripe's events can move the subscription. `trialRecheckAt`
 * is when to look again at a carded trial Stripe still shows past its end.
 */
export function nextDeadline<P extends ScheduledChange>(f: Facts<P>, trialRecheckAt = 0): Deadline<P> | null {
  const due: Deadline<P>[] = [];
  if (f.status === 'trialing' && f.trialEnd) {
    const end = Date.parse(f.trialEnd);
    if (!f.trialReminderSent) due.push({ kind: 'trial_reminder', at: end - TRIAL_REMINDER_BEFORE_END_MS });
    const action = trialEndAction({
      tier: f.tier,
      hasContinuation: f.pendingChange !== null,
      cancelAtPeriodEnd: f.cancelAtPeriodEnd,
    });
    // A paid plan's trial: a grace hour lets Stripe's own conversion (and its event) land first.
    const at =
      action === 'stripe_converts' ? Math.max(end + HOUR_MS, trialRecheckAt) : trialDecisionAt(f.tier, end);
    due.push({ kind: 'trial_end', at, action });
  }
  const pending = f.pendingChange;
  // While a cancellation is pending the subscription ends at period end instead (switching it then would
  // race Stripe's cancellation); resuming re-arms the switch.
  if (pending && !isFinal(f.status) && !f.cancelAtPeriodEnd && !isTrialTierTrial(f)) {
    due.push({ kind: 'scheduled_change', at: Date.parse(pending.effectiveAt), change: pending });
  }
  due.sort((a, b) => a.at - b.at);
  return due[0] ?? null;
}

/** What the deadlines depend on: when it changes (a scheduled downgrade, a cancellation), re-arm them. */
export function deadlineKey(f: Facts<ScheduledChange>): string {
  return [
    f.status,
    f.trialEnd,
    f.trialReminderSent,
    f.pendingChange?.requestId,
    f.pendingChange ? f.cancelAtPeriodEnd : null,
  ].join('|');
}
