import { ApplicationFailure } from '@temporalio/activity';
import { Customer } from '../../db/entities';
import type { ActivityDeps } from '../deps';
import { stripeCall } from './errors';
import { idempotencyKey } from './idempotency';
import { requireStripe } from './require-stripe';
import { FAILURE } from '../../domain/failure-types';

/** Stripe customer activities. */
export function createStripeCustomerActivities(deps: ActivityDeps) {
  /**
   * The customer's Stripe id, creating the Stripe customer once. Stripe forgets idempotency keys after a
   * day, so before creating we also look for one that carries our id in its metadata.
   */
  async function ensureStripeCustomer(customerId: string): Promise<string> {
    const stripe = requireStripe(deps);
    const em = deps.orm.em.fork();
    const customer = await em.findOne(Customer, customerId);
    if (!customer)
      throw ApplicationFailure.nonRetryable(`customer ${customerId} not found`, FAILURE.notFound);
    if (customer.stripeCustomerId) return customer.stripeCustomerId;
    const found = await stripeCall(() => stripe.customers.list({ email: customer.email, limit: 10 }));
    const mine = found.data.find((c) => c.metadata?.customer_id === customerId);
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
    customer.stripeCustomerId = stripeCustomer.id;
    await em.flush();
    return stripeCustomer.id;
  }

  return { ensureStripeCustomer };
}
