import type Stripe from 'stripe';
import type { ActivityDeps } from '../deps';
import { stripeCall } from './errors';
import { idempotencyKey } from './idempotency';
import { requireStripe } from './require-stripe';
import { subscriptionSnapshot } from '../../integrations/stripe/snapshots';
import { PRICE_TIERS, updateSubscription } from './update-subscription';
import { makeDefaultInStripe } from './card-defaults';
import type { SubscriptionSnapshot } from '../../domain/stripe-snapshots';

export interface PriceChange {
  stripeSubscriptionId: string;
  itemId: string;
  priceId: string;
  /** The subscription's metered overage item, if it has one. */
  usageItemId?: string | null;
  /**
   * The new plan's metered overage price: swapped onto the usage item, added, or (null) the item removed.
   * Undefined leaves the usage item as it is.
   */
  usagePriceId?: string | null;
  /** `always_invoice` charges the proration now (upgrades); `none` switches at renewal (downgrades). */
  prorationBehavior: 'always_invoice' | 'create_prorations' | 'none';
  /** Names this change, so a retry does not apply it twice. */
  changeKey: string;
  /** Ends a trial with the change (a trial's chosen continuation): Stripe bills the new price's period now. */
  endTrialNow?: boolean;
  /** A promotion code redeemed with the change, before its prorations (which it then discounts). */
  promotionCodeId?: string | null;
}

/** How the metered overage item follows a plan change. */
function usageItemChange(c: PriceChange): Stripe.SubscriptionUpdateParams.Item[] {
  if (c.usagePriceId === undefined) return [];
  if (c.usageItemId)
    return [
      c.usagePriceId ? { id: c.usageItemId, price: c.usagePriceId } : { id: c.usageItemId, deleted: true },
    ];
  return c.usagePriceId ? [{ price: c.usagePriceId }] : [];
}

/** Subscription mutations; each returns Stripe's fresh view so the workflow never trusts a stale one. */
export function createStripeSubscriptionActivities(deps: ActivityDeps) {
  const retrieve = (stripe: Stripe, id: string) =>
    stripeCall(() =>
      stripe.subscriptions.retrieve(id, { expand: ['default_payment_method', 'discounts', ...PRICE_TIERS] }),
    );

  const update = (id: string, params: Stripe.SubscriptionUpdateParams, key: string) =>
    updateSubscription(deps, id, params, key);

  /** Re-reads the subscription: Stripe events arrive late and out of order, Stripe's current object does not. */
  async function fetchSubscription(stripeSubscriptionId: string): Promise<SubscriptionSnapshot> {
    return subscriptionSnapshot(await retrieve(requireStripe(deps), stripeSubscriptionId));
  }

  async function changeSubscriptionPrice(c: PriceChange): Promise<SubscriptionSnapshot> {
    return update(
      c.stripeSubscriptionId,
      {
        items: [{ id: c.itemId, price: c.priceId }, ...usageItemChange(c)],
        proration_behavior: c.prorationBehavior,
        // The trial's own end (cancel_at) stops applying once it has become a paid plan.
        ...(c.endTrialNow ? { trial_end: 'now' as const, cancel_at: '' as const } : {}),
        ...(c.promotionCodeId
          ? { discounts: [{ promotion_code: c.promotionCodeId }], expand: ['discounts'] }
          : {}),
      },
      `price-change:${c.changeKey}`,
    );
  }

  async function setCancelAtPeriodEnd(req: {
    stripeSubscriptionId: string;
    cancel: boolean;
    changeKey: string;
  }): Promise<SubscriptionSnapshot> {
    return update(
      req.stripeSubscriptionId,
      { cancel_at_period_end: req.cancel },
      `cancel-at-period-end:${req.changeKey}`,
    );
  }

  /**
   * Tells Stripe to end the subscription at `at` (a trial-tier trial's end), or (null) not to: Stripe then
   * ends it itself, never converting, even if the engine is not there to decide.
   */
  async function setCancelAt(req: {
    stripeSubscriptionId: string;
    at: string | null;
    changeKey: string;
  }): Promise<SubscriptionSnapshot> {
    return update(
      req.stripeSubscriptionId,
      { cancel_at: req.at ? Math.floor(Date.parse(req.at) / 1000) : '' },
      `cancel-at:${req.changeKey}`,
    );
  }

  async function cancelSubscriptionNow(req: {
    stripeSubscriptionId: string;
    changeKey: string;
  }): Promise<SubscriptionSnapshot> {
    const stripe = requireStripe(deps);
    const current = await retrieve(stripe, req.stripeSubscriptionId);
    if (current.status === 'canceled') return subscriptionSnapshot(current);
    const sub = await stripeCall(() =>
      stripe.subscriptions.cancel(
        req.stripeSubscriptionId,
        { expand: PRICE_TIERS },
        { idempotencyKey: idempotencyKey(`cancel:${req.changeKey}`) },
      ),
    );
    return subscriptionSnapshot(sub);
  }

  async function setPaused(req: {
    stripeSubscriptionId: string;
    paused: boolean;
    changeKey: string;
  }): Promise<SubscriptionSnapshot> {
    return update(
      req.stripeSubscriptionId,
      { pause_collection: req.paused ? { behavior: 'void' } : '' },
      `pause:${req.paused}:${req.changeKey}`,
    );
  }

  /**
   * Puts a coupon on the subscription's invoices, or takes it off (null). Read back with its discount, so
   * the mirror sees the coupon's terms and dates at once.
   */
  async function setDiscount(req: {
    stripeSubscriptionId: string;
    couponId: string | null;
    changeKey: string;
  }): Promise<SubscriptionSnapshot> {
    return update(
      req.stripeSubscriptionId,
      { discounts: req.couponId ? [{ coupon: req.couponId }] : '', expand: ['discounts'] },
      `discount:${req.couponId ?? 'none'}:${req.changeKey}`,
    );
  }

  /**
   * A card added to a subscription whose trial began without one: it becomes the customer's default and the
   * subscription's, so Stripe converts the trial at its end. With `resume`, a subscription Stripe paused at
   * the trial's end for want of a card starts a fresh period now, billed to that card.
   */
  async function keepTrialCard(req: {
    stripeSubscriptionId: string;
    stripeCustomerId: string;
    paymentMethodId: string;
    resume: boolean;
    changeKey: string;
  }): Promise<SubscriptionSnapshot> {
    const stripe = requireStripe(deps);
    await makeDefaultInStripe(stripe, req.stripeCustomerId, req.paymentMethodId, {
      customer: `trial-card:${req.changeKey}`,
      subscription: (id) => `trial-card:${id}:${req.changeKey}`,
    });
    const current = await retrieve(stripe, req.stripeSubscriptionId);
    if (!req.resume || current.status !== 'paused') return subscriptionSnapshot(current);
    await stripeCall(() =>
      stripe.subscriptions.resume(
        req.stripeSubscriptionId,
        { billing_cycle_anchor: 'now' },
        { idempotencyKey: idempotencyKey(`trial-resume:${req.changeKey}`) },
      ),
    );
    return subscriptionSnapshot(await retrieve(stripe, req.stripeSubscriptionId));
  }

  return {
    fetchSubscription,
    keepTrialCard,
    setDiscount,
    changeSubscriptionPrice,
    setCancelAtPeriodEnd,
    setCancelAt,
    cancelSubscriptionNow,
    setPaused,
  };
}
