import type { EntityManager } from '@mikro-orm/core';
import Stripe from 'stripe';
import { linkStripeCustomer } from '../../db/customer-records';
import { customerForStripe } from '../../db/customer-reads';

/**
 * How long a customer's create stays answered by its idempotency key: Stripe keeps keys for 24 hours; an
 * hour less leaves room for clocks and a retry in flight.
 */
const KEY_KEPT_MS = 23 * 60 * 60 * 1000;

/**
 * The key of a customer's one create in Stripe. The sign-in's path and the activity use the same key, so
 * whichever of them asks first, and any that ask at the same time, get the one customer it made.
 */
export const customerCreateKey = (customerId: string) => `billing-engine:customer-create:${customerId}`;

/**
 * The customer's Stripe id, creating the Stripe customer once; null when there is no such customer.
 * Stripe forgets idempotency keys after a day, so for a customer older than that it also looks, before
 * creating, for one that carries our id in its metadata; a younger one's key still stands, and a retried
 * create answers the customer it made.
 */
export async function stripeCustomerOf(
  stripe: Stripe,
  em: EntityManager,
  customerId: string,
  now: Date,
): Promise<string | null> {
  const customer = await customerForStripe(em, customerId);
  if (!customer) return null;
  if (customer.stripeCustomerId) return customer.stripeCustomerId;
  // Against a business clock running ahead of the row's stamp, it looks first, as it always did.
  const keyMayBeForgotten = now.getTime() - customer.createdAt.getTime() >= KEY_KEPT_MS;
  const mineAmong = async () =>
    (await stripe.customers.list({ email: customer.email, limit: 10 })).data.find(
      (c) => c.metadata?.customer_id === customerId,
    );
  const stripeCustomer =
    (keyMayBeForgotten ? await mineAmong() : undefined) ??
    (await stripe.customers
      .create(
        {
          email: customer.email,
          name: customer.name ?? undefined,
          metadata: { customer_id: customer.id, user_id: customer.userId },
        },
        { idempotencyKey: customerCreateKey(customerId) },
      )
      .catch(async (err: unknown) => {
        // The key was first used with other details (the customer renamed since a create whose answer was
        // lost): Stripe refuses it for a day, but the customer it made carries our id.
        if (!(err instanceof Stripe.errors.StripeIdempotencyError)) throw err;
        const made = await mineAmong();
        if (!made) throw err;
        return made;
      }));
  await linkStripeCustomer(em, customerId, stripeCustomer.id);
  return stripeCustomer.id;
}
