import type { SubscriptionSnapshot } from '../../domain/stripe-snapshots';
import type { PendingChange } from '../messages';
import { stripe } from './activity-proxies';
import { mirrorPending } from './pending-change';
import type { Run } from './run';
import { applySnapshot } from './snapshots';

/**
 * Moves the subscription to another price in Stripe; an upgrade invoices the proration at once. The
 * pending change becomes `keep` (null: this change replaces it).
 */
export async function switchPrice(
  run: Run,
  to: {
    planCode: string;
    priceId: string;
    usagePriceId?: string | null;
    requestId: string;
    promotionCodeId?: string | null;
  },
  prorationBehavior: 'always_invoice' | 'none',
  keep: PendingChange | null = null,
  endTrialNow = false,
): Promise<void> {
  const { state } = run;
  const before = state.pendingChange;
  // At once, so the period-end timer cannot apply a change this one replaces while Stripe answers.
  state.pendingChange = keep;
  if (state.priceId) run.knownPrices.add(state.priceId);
  run.knownPrices.add(to.priceId);
  let snap: SubscriptionSnapshot;
  try {
    snap = await stripe.changeSubscriptionPrice({
      stripeSubscriptionId: state.stripeSubscriptionId as string,
      itemId: state.itemId as string,
      priceId: to.priceId,
      usageItemId: state.usageItemId ?? null,
      usagePriceId: to.usagePriceId,
      prorationBehavior,
      changeKey: to.requestId,
      ...(endTrialNow ? { endTrialNow } : {}),
      ...(to.promotionCodeId ? { promotionCodeId: to.promotionCodeId } : {}),
    });
  } catch (err) {
    // A refused change (a declined upgrade) leaves the customer's earlier request standing.
    if (state.pendingChange === keep) state.pendingChange = before;
    throw err;
  }
  state.tier = to.planCode;
  if (keep !== before) await mirrorPending(run);
  await applySnapshot(run, snap);
}
