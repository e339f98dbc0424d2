import { log } from '@temporalio/workflow';
import type { SubscriptionSnapshot } from '../../domain/stripe-snapshots';
import { grantsAccess } from '../../domain/subscription-status';
import { db, stripe, stripeRead } from './activity-proxies';
import { setPending } from './pending-change';
import { inTurn } from './local-steps';
import type { Run } from './run';
import { applySnapshot } from './snapshots';

/** Re-reads the subscription from Stripe and takes what changed there, including a plan chosen there. */
export async function refresh(run: Run): Promise<void> {
  if (!run.state.stripeSubscriptionId) return;
  const id = run.state.stripeSubscriptionId;
  const snap = await inTurn(run, () => stripeRead.fetchSubscription(id));
  await reconcilePending(run, snap);
  await followPlanChosenInStripe(run, snap);
  await applySnapshot(run, snap);
  await ensureUsageItem(run);
}

/**
 * A price chosen in Stripe itself (dashboard, portal) is a newer decision than the one waiting for
 * period end, so that one is withdrawn rather than applied over it.
 */
async function reconcilePending(run: Run, snap: SubscriptionSnapshot): Promise<void> {
  const { state } = run;
  const pending = state.pendingChange;
  if (!pending || !snap.priceId || snap.priceId === state.priceId || run.knownPrices.has(snap.priceId))
    return;
  log.warn('plan changed in Stripe; the pending change is withdrawn', {
    pendingTier: pending.planCode,
    stripePriceId: snap.priceId,
  });
  await setPending(run, null);
}

/**
 * A plan chosen in Stripe's portal or dashboard moves the tier too, so access (Keycloak, Lago, quotas)
 * follows what the customer now pays for, not only the database mirror.
 */
async function followPlanChosenInStripe(run: Run, snap: SubscriptionSnapshot): Promise<void> {
  if (!snap.priceId || run.knownPrices.has(snap.priceId)) return;
  const owner = await db.planCodeOfPrice(snap.priceId);
  run.knownPrices.add(snap.priceId);
  if (!owner) {
    log.warn('Stripe price belongs to no plan; the tier stays', { stripePriceId: snap.priceId });
    return;
  }
  run.state.tier = owner.planCode;
}

/**
 * A subscription made in Stripe's dashboard or portal, or before the plan had a metered price, gets
 * its plan's usage item, so its overage is invoiced like everyone else's.
 */
async function ensureUsageItem(run: Run): Promise<void> {
  const { state } = run;
  if (run.usageItemChecked || state.usageItemId || !state.priceId || !state.itemId) return;
  if (!grantsAccess(state.status)) return;
  run.usageItemChecked = true;
  const usagePriceId = await db.usagePriceFor(state.priceId);
  if (!usagePriceId) return;
  const snap = await stripe.changeSubscriptionPrice({
    stripeSubscriptionId: state.stripeSubscriptionId as string,
    itemId: state.itemId,
    priceId: state.priceId,
    usageItemId: null,
    usagePriceId,
    prorationBehavior: 'none',
    changeKey: `usage-item:${state.subscriptionId}:${usagePriceId}`,
  });
  await applySnapshot(run, snap);
}
