import type Stripe from 'stripe';
import type { ActivityDeps } from '../deps';
import { stripeCall } from './errors';
import { idempotencyKey } from './idempotency';
import { requireStripe } from './require-stripe';
import { subscriptionSnapshot } from '../../integrations/stripe/snapshots';
import type { SubscriptionSnapshot } from '../../domain/stripe-snapshots';

/** A tiered plan price (seat tiers) comes with its tiers only when asked: the snapshot prices the seats by them. */
export const PRICE_TIERS = ['items.data.price.tiers'];

/** One update of the subscription under a key naming the business change, so a retry applies it once. */
export async function updateSubscription(
  deps: ActivityDeps,
  id: string,
  params: Stripe.SubscriptionUpdateParams,
  key: string,
): Promise<SubscriptionSnapshot> {
  const stripe = requireStripe(deps);
  const expand = [...(params.expand ?? []), ...PRICE_TIERS];
  const sub = await stripeCall(() =>
    stripe.subscriptions.update(id, { ...params, expand }, { idempotencyKey: idempotencyKey(key) }),
  );
  return subscriptionSnapshot(sub);
}
