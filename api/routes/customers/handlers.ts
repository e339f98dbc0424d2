import { notFound } from '../../../domain/errors';
import type { HandlerInput } from '../../routing/define-route';
import { ensureCustomer } from '../../../services/customers/ensure-customer';
import { findCustomerFor } from '../../../services/customers/find-customer';
import type { createCustomerBody } from './schemas';

/** Onboards the caller (idempotent: a second call finds the same customer). */
export async function createCustomer({
  identity,
  body,
  deps,
}: HandlerInput<undefined, undefined, typeof createCustomerBody, 'viewer'>) {
  const record = await ensureCustomer(deps, identity, body.name);
  return {
    customer_id: record.customerId,
    stripe_customer_id: record.stripeCustomerId,
    email: record.email,
    created: record.created,
  };
}

/** The caller's customer as the database mirror has it. */
export async function getCustomer({
  identity,
  deps,
}: HandlerInput<undefined, undefined, undefined, 'viewer'>) {
  const customer = await findCustomerFor(deps.orm.em.fork(), identity);
  if (!customer) throw notFound('customer');
  return {
    customer_id: customer.id,
    stripe_customer_id: customer.stripeCustomerId ?? null,
    email: customer.email,
    name: customer.name ?? null,
    created: customer.createdAt.toISOString(),
  };
}
