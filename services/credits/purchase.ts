import { randomUUID } from 'node:crypto';
import { CreditPack } from '../../db/entities';
import { purchaseRefusal } from '../../domain/credit-purchase';
import { packPriceIn } from '../../domain/currency/pack-prices';
import { AppError, notFound } from '../../domain/errors';
import type { Identity } from '../../domain/identity';
import { workflowIds } from '../../workflows/ids';
import type { CreditPackTerms } from '../../domain/credit-purchase';
import { ownAccess } from '../access/check-access';
import type { CoreDeps } from '../deps';
import { callWorkflow } from '../temporal/gateway';
import { workflowType } from '../temporal/workflow-type';

/** What the purchase grants and costs in `currency`, as it was on sale when the customer chose it. */
export function packTerms(pack: CreditPack, currency: string, priceCents: number): CreditPackTerms {
  return {
    packId: pack.id,
    name: pack.name,
    credits: pack.credits,
    priceCents,
    currency,
    expiresAfterDays: pack.expiresAfterDays ?? null,
  };
}

/**
 * A Stripe Checkout page in payment mode for one credit pack. Nothing is granted here: the credits come
 * when Stripe says the payment succeeded (checkout.session.completed into creditPurchaseWorkflow), once
 * per session, with the credits and expiry the pack had when the page was made.
 */
export async function startCreditPurchase(
  deps: CoreDeps,
  identity: Identity,
  input: { packId: string; successUrl: string; cancelUrl: string },
): Promise<{ checkoutUrl: string; sessionId: string }> {
  const em = deps.orm.em.fork();
  const access = await ownAccess(em, identity);
  if (!access.customerId) throw notFound('customer');
  const pack = await em.findOne(CreditPack, { id: input.packId });
  const refusal = purchaseRefusal(pack, access.plan?.code ?? null);
  if (refusal || !pack) {
    const kind = refusal?.code === 'credit_pack_not_for_plan' ? 'conflict' : 'not_found';
    throw new AppError(kind, refusal?.code ?? 'credit_pack_not_found', refusal?.message ?? 'No such pack', {
      field: 'packId',
    });
  }
  // A subscriber pays in their subscription's currency; anyone else in the pack's own.
  const currency = access.subscription?.currency ?? pack.currency;
  const priceCents = packPriceIn(pack, currency);
  if (priceCents === null)
    throw new AppError('conflict', 'credit_pack_not_in_currency', `This pack is not sold in ${currency}`, {
      field: 'packId',
      currency,
    });
  const customerId = access.customerId;
  const session = await callWorkflow(deps, () =>
    deps.temporal.workflow.execute(workflowType('creditCheckoutWorkflow'), {
      workflowId: workflowIds.creditCheckout(customerId, randomUUID()),
      taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
      args: [
        {
          customerId,
          pack: packTerms(pack, currency, priceCents),
          successUrl: input.successUrl,
          cancelUrl: input.cancelUrl,
        },
      ],
    }),
  );
  return { checkoutUrl: session.url, sessionId: session.sessionId };
}
