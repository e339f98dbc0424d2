import type { MikroORM } from '@mikro-orm/core';
import Stripe from 'stripe';
import { type CustomerIdentity, upsertCustomerRow } from '../../db/customer-records';
import { refusalOf } from '../../db/refusals';
import { type Clock, clockOf } from '../../domain/clock';
import { paymentProviderFailed, storedConflict, unstorableValue } from '../../domain/errors';
import { stripeCustomerOf } from '../../integrations/stripe/customer-of';

export interface OnboardDeps {
  orm: MikroORM;
  /** Null where Stripe is not configured: the record alone. */
  stripe: Stripe | null;
  clock?: Clock | null;
}

export interface OnboardedCustomer {
  customerId: string;
  email: string;
  stripeCustomerId: string | null;
  /** Whether this call made the record. */
  created: boolean;
}

/**
 * Makes sure a signed-in identity has its customer record, and its Stripe customer where Stripe is
 * configured: the one way a sign-in (and the benchmarks' and seeding's sign-ups) does it.
 *
 * No workflow run: the record is one upsert on the identity and the Stripe customer one create under a
 * key of the customer's, so two sign-ins at once meet at the user id's unique key and at Stripe's
 * idempotency key, and a call that failed halfway is finished by the next. A run of the onboarding workflow
 * cost a sign-up a fifth of the cluster's CPU (docs/architecture.md, "Rules the code keeps").
 */
export async function onboardCustomer(
  deps: OnboardDeps,
  identity: CustomerIdentity,
): Promise<OnboardedCustomer> {
  const em = deps.orm.em.fork();
  const record = await upsertCustomerRow(em, identity).catch((err: unknown) => {
    const refusal = refusalOf(err);
    if (refusal?.kind === 'constraint') throw storedConflict();
    if (refusal?.kind === 'data') throw unstorableValue();
    throw err;
  });
  const { stripe } = deps;
  if (!stripe || record.stripeCustomerId) return record;
  const stripeCustomerId = await stripeCustomerOf(stripe, em, record.customerId, clockOf(deps).now()).catch(
    (err: unknown) => {
      throw err instanceof Stripe.errors.StripeError ? paymentProviderFailed() : err;
    },
  );
  // The row was written just above: only a deletion in between (an erasure) leaves none.
  if (!stripeCustomerId) throw new Error(`customer ${record.customerId} vanished while onboarding`);
  return { ...record, stripeCustomerId };
}
