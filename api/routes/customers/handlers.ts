import { notFound } from '../../../domain/errors';
import { customerOnboarding } from '../../../workflows';
import { workflowIds } from '../../../workflows/ids';
import type { HandlerInput } from '../../route';
import { findCustomerFor } from '../../services/customers';
import type { createCustomerBody } from './schemas';

/** Runs the onboarding workflow for the caller (idempotent: a second call finds the same customer). */
export async function createCustomer({
  identity,
  body,
  deps,
}: HandlerInput<undefined, undefined, typeof createCustomerBody, 'viewer'>) {
  const record = await deps.temporal.workflow.execute(customerOnboarding, {
    workflowId: workflowIds.customer(identity.sub),
    taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
    workflowIdConflictPolicy: 'USE_EXISTING',
    args: [
      {
        userId: identity.sub,
        email: identity.email,
        name: body.name ?? identity.name,
        roles: identity.roles,
      },
    ],
  });
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
