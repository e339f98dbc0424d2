import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import { PaymentMethod } from '../../db/entities';
import { conflict, notFound } from '../../domain/errors';
import type { Identity } from '../../domain/identity';
import { ensureCustomer } from '../customers/ensure-customer';
import { findCustomerFor } from '../customers/find-customer';
import type { CoreDeps } from '../deps';
import { findLiveSubscription } from '../subscriptions/live-subscription';
import { callWorkflow } from '../temporal/gateway';
import { workflowType } from '../temporal/workflow-type';
import { workflowIds } from '../../workflows/ids';

/**
 * One of the caller's cards still on file, from the mirror. Another customer's card answers exactly as
 * a card that does not exist, so ids cannot be probed.
 */
async function ownCard(em: EntityManager, identity: Identity, paymentMethodId: string) {
  const customer = await findCustomerFor(em, identity);
  const card = customer
    ? await em.findOne(PaymentMethod, { stripePaymentMethodId: paymentMethodId, customer, detachedAt: null })
    : null;
  if (!customer || !card) throw notFound('payment_method');
  return { customer, card };
}

/** Makes one of the caller's cards the one that pays their invoices and their live subscription. */
export async function setDefaultCard(
  deps: CoreDeps,
  identity: Identity,
  paymentMethodId: string,
): Promise<PaymentMethod> {
  const { customer, card } = await ownCard(deps.orm.em.fork(), identity, paymentMethodId);
  if (card.isDefault) return card;
  // Each request gets keys of its own: choosing A, then B, then A again must reach Stripe every time.
  const requestId = randomUUID();
  await callWorkflow(deps, () =>
    deps.temporal.workflow.execute(workflowType('setDefaultPaymentMethodWorkflow'), {
      workflowId: workflowIds.paymentMethodDefault(paymentMethodId, requestId),
      taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
      args: [{ customerId: customer.id, paymentMethodId, requestId }],
    }),
  );
  return deps.orm.em.fork().findOneOrFail(PaymentMethod, card.id);
}

/**
 * Removes one of the caller's cards. While a subscription is live it keeps a card to be charged: its
 * only card cannot go, nor the one it is charged with until another is made the default.
 */
export async function removeCard(
  deps: CoreDeps,
  identity: Identity,
  paymentMethodId: string,
): Promise<{ paymentMethodId: string }> {
  const em = deps.orm.em.fork();
  const { customer, card } = await ownCard(em, identity, paymentMethodId);
  const sub = await findLiveSubscription(em, customer);
  if (sub) {
    const others = await em.count(PaymentMethod, { customer, detachedAt: null, id: { $ne: card.id } });
    if (others === 0) {
      throw conflict(
        'last_payment_method',
        `This is the only card paying your ${sub.tier} plan; add another card before removing it`,
        { payment_method_id: paymentMethodId },
      );
    }
    if (card.isDefault) {
      throw conflict(
        'default_payment_method',
        `This card pays your ${sub.tier} plan; make another card the default before removing it`,
        { payment_method_id: paymentMethodId },
      );
    }
  }
  return callWorkflow(deps, () =>
    deps.temporal.workflow.execute(workflowType('detachPaymentMethodWorkflow'), {
      // A card is removed once: a second click joins the first run.
      workflowId: workflowIds.paymentMethodDetach(paymentMethodId),
      taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
      workflowIdConflictPolicy: 'USE_EXISTING',
      args: [{ customerId: customer.id, paymentMethodId }],
    }),
  );
}

/**
 * A Stripe Checkout page in setup mode where the caller adds a card; Stripe attaches it and its
 * `payment_method.attached` event brings it into the mirror. It is not made the default.
 */
export async function startCardSetup(
  deps: CoreDeps,
  identity: Identity,
  urls: { successUrl: string; cancelUrl: string },
): Promise<{ checkoutUrl: string; sessionId: string }> {
  const customer = await ensureCustomer(deps, identity);
  const em = deps.orm.em.fork();
  const own = await findCustomerFor(em, identity);
  const sub = own ? await findLiveSubscription(em, own) : null;
  const session = await callWorkflow(deps, () =>
    deps.temporal.workflow.execute(workflowType('cardSetupSessionWorkflow'), {
      workflowId: workflowIds.paymentMethodSetup(customer.customerId, randomUUID()),
      taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
      args: [
        {
          customerId: customer.customerId,
          // Stripe offers the payment methods of the currency the card will be charged in.
          currency: sub?.currency ?? 'usd',
          successUrl: urls.successUrl,
          cancelUrl: urls.cancelUrl,
        },
      ],
    }),
  );
  return { checkoutUrl: session.url, sessionId: session.sessionId };
}
