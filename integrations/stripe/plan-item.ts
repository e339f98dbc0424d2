import type Stripe from 'stripe';

/** The subscription's first licensed item: the plan's price (metered usage items are not the plan). */
export function planItem(sub: Stripe.Subscription): Stripe.SubscriptionItem | undefined {
  return sub.items.data.find((i) => i.price.recurring?.usage_type !== 'metered') ?? sub.items.data[0];
}
