import { log } from '@temporalio/workflow';
import type { TrialEndAction } from '../../domain/trial';
import { db, stripe } from './activity-proxies';
import { setPending } from './pending-change';
import { switchPrice } from './plan-switch';
import type { Run } from './run';
import { applySnapshot } from './snapshots';
import { setStatus } from './status';
import { activityFailed, failureCause } from '../activity-failed';

const HOUR_MS = 60 * 60 * 1000;

/** What the workflow does when a trial's end comes (the domain decides which). */
export function endTrial(run: Run, action: TrialEndAction): Promise<void> {
  if (action === 'convert') return convertTrial(run);
  if (action === 'expire') return expireTrial(run);
  return endTrialWithoutCard(run);
}

/**
 * At a paid plan's trial end with no card on file, access ends and the Stripe subscription is canceled;
 * a plan whose trials end by asking for a card leaves it to Stripe, which pauses it until one is added.
 */
async function endTrialWithoutCard(run: Run): Promise<void> {
  const { state } = run;
  if (state.stripeSubscriptionId) {
    const snap = await stripe.fetchSubscription(state.stripeSubscriptionId);
    if (snap.status !== 'trialing' && snap.status !== 'canceled') return applySnapshot(run, snap);
    if (snap.hasPaymentMethod || (await db.customerHasPaymentMethod(state.customerId))) {
      // Stripe converts (or fails the first charge) on its own; its event wakes us, else check back.
      run.trialRecheckAt = Date.now() + HOUR_MS;
      return applySnapshot(run, snap);
    }
    if (run.input.plan.trialWithoutCard === 'ask_for_card' && snap.status === 'trialing') {
      run.trialRecheckAt = Date.now() + HOUR_MS;
      return applySnapshot(run, snap);
    }
    if (snap.status !== 'canceled') {
      await stripe.cancelSubscriptionNow({
        stripeSubscriptionId: state.stripeSubscriptionId,
        changeKey: `trial-expired:${state.subscriptionId}`,
      });
    }
  }
  await setStatus(run, 'expired');
}

/**
 * A trial-tier trial with a chosen continuation moves to that plan and ends the trial at once: Stripe
 * bills the new plan's first period, no new checkout. A change Stripe refuses ends the trial instead.
 */
async function convertTrial(run: Run): Promise<void> {
  const pending = run.state.pendingChange;
  if (!pending) return expireTrial(run);
  try {
    await switchPrice(run, pending, 'none', null, true);
  } catch (err) {
    if (!activityFailed(err)) throw err;
    log.warn('trial continuation refused by Stripe; the trial ends', {
      tier: pending.planCode,
      error: failureCause(err),
    });
    await setPending(run, null);
    await expireTrial(run);
  }
}

/** The trial tier never continues at its own price: without a pick, Stripe cancels and access ends. */
async function expireTrial(run: Run): Promise<void> {
  const { state } = run;
  if (state.stripeSubscriptionId) {
    await stripe.cancelSubscriptionNow({
      stripeSubscriptionId: state.stripeSubscriptionId,
      changeKey: `trial-expired:${state.subscriptionId}`,
    });
  }
  await setStatus(run, 'expired');
}
