import type Stripe from 'stripe';
import { stripeCall } from './errors';
import { idempotencyKey } from './idempotency';
import { expandableId } from '../../integrations/stripe/expandable-id';

/** Subscription states in which Stripe still charges the subscription's card. */
export const LIVE = new Set<Stripe.Subscription.Status>([
  'active',
  'trialing',
  'past_due',
  'unpaid',
  'incomplete',
  'paused',
]);

/**
 * The card becomes the customer's invoice default and the card of each live subscription: Checkout pins
 * its card on the subscription, which Stripe prefers over the customer's default, so without the second
 * step the old card would keep being charged. Each call carries the key `keys` names for it.
 */
export async function makeDefaultInStripe(
  stripe: Stripe,
  stripeCustomerId: string,
  paymentMethodId: string,
  keys: { customer: string; subscription(subscriptionId: string): string },
): Promise<void> {
  await stripeCall(() =>
    stripe.customers.update(
      stripeCustomerId,
      { invoice_settings: { default_payment_method: paymentMethodId } },
      { idempotencyKey: idempotencyKey(keys.customer) },
    ),
  );
  const subs = await stripeCall(() => stripe.subscriptions.list({ customer: stripeCustomerId, limit: 100 }));
  for (const sub of subs.data) {
    if (sub.status === 'canceled' || sub.status === 'incomplete_expired') continue;
    if (expandableId(sub.default_payment_method) === paymentMethodId) continue;
    await stripeCall(() =>
      stripe.subscriptions.update(
        sub.id,
        { default_payment_method: paymentMethodId },
        { idempotencyKey: idempotencyKey(keys.subscription(sub.id)) },
      ),
    );
  }
}

/** The card the customer's newest live subscription is charged with, if it names one. */
export async function pinnedCard(stripe: Stripe, stripeCustomerId: string): Promise<string | null> {
  const subs = await stripeCall(() => stripe.subscriptions.list({ customer: stripeCustomerId, limit: 10 }));
  for (const sub of subs.data) {
    const card = LIVE.has(sub.status) ? expandableId(sub.default_payment_method) : null;
    if (card) return card;
  }
  return null;
}
