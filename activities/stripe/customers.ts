import { ApplicationFailure } from '@temporalio/activity';
import { linkStripeCustomer } from '../../db/customer-records';
import { customerForStripe } from '../../db/customer-reads';
import type { ActivityDeps } from '../deps';
import { stripeCall } from './errors';
import { idempotencyKey } from './idempotency';
import { requireStripe } from './require-stripe';
import { FAILURE } from '../../domain/failure-types';
import { clockOf } from '../../domain/clock';

/**
 * How long a customer's create stays answered by its idempotency key: Stripe keeps keys for 24 hours; an
 * hour less leaves room for clocks and a retry in flight.
 */
const KEY_KEPT_MS = 23 * 60 * 60 * 1000;

/** Stripe customer activities. */
export function createStripeCustomerActivities(deps: ActivityDeps) {
  /**
   * The customer's Stripe id, creating the Stripe customer once. Stripe forgets idempotency keys after a
   * day, so for a customer older than that we also look, before creating, for one that carries our id in
   * its metadata; a younger one's key still stands, and a retried create answers the customer it made.
   */
  async function ensureStripeCustomer(customerId: string): Promise<string> {
    const stripe = requireStripe(deps);
    const em = deps.orm.em.fork();
    const customer = await customerForStripe(em, customerId);
    if (!customer)
      throw ApplicationFailure.nonRetryable(`customer ${customerId} not found`, FAILURE.notFound);
    if (customer.stripeCustomerId) return customer.stripeCustomerId;
    // Against a business clock running ahead of the row's stamp, it looks first, as it always did.
    const keyMayBeForgotten = clockOf(deps).now().getTime() - customer.createdAt.getTime() >= KEY_KEPT_MS;
    const found = keyMayBeForgotten
      ? await stripeCall(() => stripe.customers.list({ email: customer.email, limit: 10 }))
      : null;
    const mine = found?.data.find((c) => c.metadata?.customer_id === customerId);
    const stripeCustomer =
      mine ??
      (await stripeCall(() =>
        stripe.customers.create(
          {
            email: customer.email,
            name: customer.name ?? undefined,
            metadata: { customer_id: customer.id, user_id: customer.userId },
          },
          { idempotencyKey: idempotencyKey(`customer-create:${customerId}`) },
        ),
      ));
    await linkStripeCustomer(em, customerId, stripeCustomer.id);
    return stripeCustomer.id;
  }

  return { ensureStripeCustomer };
}
