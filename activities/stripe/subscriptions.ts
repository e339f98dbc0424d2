import type Stripe from 'stripe';
import type { ActivityDeps } from '../deps';
import { stripeCall } from './errors';
import { idempotencyKey } from './idempotency';
import { requireStripe } from './require-stripe';
import { subscriptionSnapshot } from '../../integrations/stripe/snapshots';
import { PRICE_TIERS, updateSubscription } from './update-subscription';
import { makeDefaultInStripe } from './card-defaults';
import type { SubscriptionSnapshot } from '../../domain/stripe-snapshots';
import { priceChangeParams, type PriceChange } from '../../integrations/stripe/price-change';

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
    return update(c.stripeSubscriptionId, priceChangeParams(c), `price-change:${c.changeKey}`);
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
