import { log } from '@temporalio/workflow';
import type { SubscriptionSnapshot } from '../../domain/stripe-snapshots';
import { statusAfterSnapshot } from '../../domain/subscription';
import { TRIAL_TIER } from '../../domain/trial';
import { db, stripe } from './activity-proxies';
import { setPending } from './pending-change';
import { askedPatch, REFUSED_TRIAL_MIRRORS_INVOICE } from './local-steps';
import type { Run } from './run';
import { setStatus } from './status';
import { publish } from './visibility';
import { activityFailed, failureCause } from '../activity-failed';

/** Takes Stripe's view of the subscription as the truth, and starts a trial's own bookkeeping. */
export async function applySnapshot(run: Run, snap: SubscriptionSnapshot): Promise<void> {
  const { state, input } = run;
  const next = statusAfterSnapshot(state, snap);
  const key = JSON.stringify([snap, next]);
  // Stripe often says again what it said before (a burst of customer.subscription.updated re-reads the
  // same object): the mirror, Keycloak, Lago and the search attributes show it already, so skip the writes.
  if (key === run.lastApplied && next === state.status) return;
  const trialStarts = state.status === 'incomplete' && next === 'trialing';
  // Only runs that charged a signup fee claim the card, so histories from before it replay unchanged.
  if (trialStarts && input.plan.signupFee && !(await claimTrialCard(run, snap))) return;
  run.lastApplied = key;
  state.stripeSubscriptionId = snap.stripeSubscriptionId;
  state.stripeCustomerId = snap.stripeCustomerId;
  state.itemId = snap.itemId;
  if (snap.quantity !== undefined) state.seats = snap.quantity;
  state.usageItemId = snap.usageItemId;
  state.priceId = snap.priceId;
  if (snap.amountCents !== null) state.amountCents = snap.amountCents;
  state.interval = snap.interval;
  state.currentPeriodStart = snap.currentPeriodStart;
  state.currentPeriodEnd = snap.currentPeriodEnd;
  state.trialEnd = snap.trialEnd;
  state.cancelAtPeriodEnd = snap.cancelAtPeriodEnd;
  // Stripe's own `paused` (not a pause of collection): the trial ended without the card it began without.
  if (input.plan.trialWithoutCard) state.awaitingCard = snap.status === 'paused';
  await setStatus(run, next, snap);
  // Stripe ends the trial at its end by itself should the engine not decide first (a worker down that
  // hour): the price it would otherwise convert to is the trial's, at trial limits. Converting clears it.
  if (trialStarts && input.plan.signupFee && state.trialEnd && state.tier === TRIAL_TIER) {
    await stripe.setCancelAt({
      stripeSubscriptionId: snap.stripeSubscriptionId,
      at: state.trialEnd,
      changeKey: `trial-ends:${state.subscriptionId}`,
    });
  }
  // Only runs started with a pick take this path, so histories from before it replay unchanged.
  if (trialStarts && input.continuation && state.trialEnd && !state.pendingChange) {
    await setPending(run, { ...input.continuation, effectiveAt: state.trialEnd });
    await publish(state);
  }
}

/**
 * One trial per card: a card that already paid for another customer's trial cannot start this one. It
 * ends before any access is granted, and the signup fee goes back to the card. False when refused.
 */
async function claimTrialCard(run: Run, snap: SubscriptionSnapshot): Promise<boolean> {
  const { state } = run;
  const claim = await stripe.claimTrialCard({
    subscriptionId: state.subscriptionId,
    stripeSubscriptionId: snap.stripeSubscriptionId,
  });
  if (!claim.refused) return true;
  log.warn('trial refused: its card already paid for another trial', {
    subscriptionId: state.subscriptionId,
  });
  const canceled = await stripe.cancelSubscriptionNow({
    stripeSubscriptionId: snap.stripeSubscriptionId,
    changeKey: `trial-refused:${state.subscriptionId}`,
  });
  if (claim.signupInvoiceId) {
    try {
      await stripe.refundInvoiceCharge({
        invoiceId: claim.signupInvoiceId,
        reason: 'trial_already_used',
        idempotencyKey: `trial-refused:${state.subscriptionId}`,
        actorId: 'billing-engine',
        actorEmail: null,
      });
    } catch (err) {
      // The trial stays refused; an operator can refund from the admin routes.
      if (!activityFailed(err)) throw err;
      log.warn('signup fee of a refused trial not refunded', { error: failureCause(err) });
    }
    if (askedPatch(run, REFUSED_TRIAL_MIRRORS_INVOICE)) {
      try {
        await stripe.fetchInvoice(claim.signupInvoiceId);
      } catch (err) {
        // The trial stays refused; the invoice reaches the mirror with its next event.
        if (!activityFailed(err)) throw err;
        log.warn('invoice of a refused trial not mirrored', { error: failureCause(err) });
      }
    }
  }
  await db.queueNotification({
    customerId: state.customerId,
    email: state.email,
    kind: 'trial_refused',
    dedupeKey: `trial_refused:${state.subscriptionId}`,
    payload: { reason: 'trial_already_used', refundedInvoiceId: claim.signupInvoiceId },
  });
  await applySnapshot(run, canceled);
  return false;
}
