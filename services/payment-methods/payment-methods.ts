import { randomUUID } from 'node:crypto';
import { customerIdOf } from '../../db/customer-reads';
import { paymentMethodsOfCustomer } from '../../db/payment-method-reads';
import type { Identity } from '../../domain/identity';
import { ensureCustomer } from '../customers/ensure-customer';
import type { CoreDeps } from '../deps';
import { callWorkflow } from '../temporal/gateway';
import { workflowType } from '../temporal/workflow-type';
import { workflowIds } from '../../workflows/ids';

/** The caller's saved cards, newest first; none before they ever subscribed. */
export async function listPaymentMethods(deps: Pick<CoreDeps, 'orm'>, identity: Identity) {
  // Plain SQL (db/payment-method-reads.ts): no fork, no hydration; the customer's id from its cache.
  const customerId = await customerIdOf(deps.orm.em, identity.sub);
  if (!customerId) return [];
  return paymentMethodsOfCustomer(deps.orm.em, customerId);
}

/** Attaches a card to the caller's Stripe customer (optionally as the default) through its workflow. */
export async function attachPaymentMethod(
  deps: CoreDeps,
  identity: Identity,
  req: { paymentMethodId: string; makeDefault: boolean },
) {
  const customer = await ensureCustomer(deps, identity);
  return callWorkflow(deps, () =>
    deps.temporal.workflow.execute(workflowType('attachPaymentMethodWorkflow'), {
      workflowId: workflowIds.paymentMethodAttach(customer.customerId, req.paymentMethodId),
      taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
      workflowIdConflictPolicy: 'USE_EXISTING',
      args: [
        {
          customerId: customer.customerId,
          paymentMethodId: req.paymentMethodId,
          makeDefault: req.makeDefault,
        },
      ],
    }),
  );
}

/** A Stripe customer-portal session for the caller, returning to `returnUrl`. */
export async function openBillingPortal(deps: CoreDeps, identity: Identity, returnUrl: string) {
  const customer = await ensureCustomer(deps, identity);
  return callWorkflow(deps, () =>
    deps.temporal.workflow.execute(workflowType('portalSessionWorkflow'), {
      workflowId: workflowIds.portalSession(customer.customerId, randomUUID()),
      taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
      args: [{ customerId: customer.customerId, returnUrl }],
    }),
  );
}
