import { ApplicationFailure } from '@temporalio/activity';
import { stripeCustomerOf } from '../../integrations/stripe/customer-of';
import type { ActivityDeps } from '../deps';
import { stripeCall } from './errors';
import { requireStripe } from './require-stripe';
import { FAILURE } from '../../domain/failure-types';
import { clockOf } from '../../domain/clock';

/** Stripe customer activities. */
export function createStripeCustomerActivities(deps: ActivityDeps) {
  /** The customer's Stripe id, creating the Stripe customer once (`stripeCustomerOf`). */
  async function ensureStripeCustomer(customerId: string): Promise<string> {
    const stripe = requireStripe(deps);
    const id = await stripeCall(() =>
      stripeCustomerOf(stripe, deps.orm.em.fork(), customerId, clockOf(deps).now()),
    );
    if (!id) throw ApplicationFailure.nonRetryable(`customer ${customerId} not found`, FAILURE.notFound);
    return id;
  }

  return { ensureStripeCustomer };
}
