import { AppError, conflict } from '../../domain/errors';
import type { refundInvoiceWorkflow } from '../../workflows';
import type { Identity } from '../../domain/identity';
import type { CoreDeps } from '../deps';
import { workflowType } from '../temporal/workflow-type';
import {
  detailsOf,
  invoiceNotFound,
  moneyBackWorkflowId,
  runOncePerKey,
  stripeInvoiceIdFor,
} from './once-per-key';
import { FAILURE } from '../../domain/failure-types';

export interface AdminRefund {
  invoiceId: string;
  amountCents?: number;
  reason: string;
  idempotencyKey: string;
}

/**
 * Refunds an invoice's charge through its workflow, started at most once per key, so a replayed request
 * answers the first result, success or refusal, and Stripe sees one refund. Stripe's own idempotency key,
 * derived from the same key, covers a retried activity.
 */
export async function refundInvoiceAsAdmin(deps: CoreDeps, actor: Identity, req: AdminRefund) {
  const stripeInvoiceId = await stripeInvoiceIdFor(deps.orm.em.fork(), req.invoiceId);
  const result = await runOncePerKey<Awaited<ReturnType<typeof refundInvoiceWorkflow>>>(
    deps,
    workflowType('refundInvoiceWorkflow'),
    moneyBackWorkflowId('refund', stripeInvoiceId, req.idempotencyKey),
    {
      invoiceId: stripeInvoiceId,
      amountCents: req.amountCents,
      reason: req.reason,
      idempotencyKey: req.idempotencyKey,
      actorId: actor.sub,
      actorEmail: actor.email,
    },
    (failure) => {
      if (failure.type === FAILURE.refundExceedsCharge) {
        return conflict('refund_exceeds_charge', failure.message, {
          field: 'body.amount_cents',
          amount_left_cents: detailsOf(failure).amountLeftCents ?? null,
        });
      }
      if (failure.type === FAILURE.chargeDisputed) {
        return conflict('charge_disputed', failure.message, {
          field: 'params.id',
          dispute_status: detailsOf(failure).disputeStatus ?? null,
        });
      }
      if (failure.type === FAILURE.noCharge) {
        return conflict('invoice_not_paid', failure.message, { field: 'params.id' });
      }
      // Stripe's resource_missing here means the invoice (or its charge) is not Stripe's either.
      if (failure.type === FAILURE.invoiceNotFound || failure.type === FAILURE.notFound) {
        return invoiceNotFound(req.invoiceId);
      }
      return null;
    },
  );
  if (result.stripeInvoiceId !== stripeInvoiceId) {
    throw new AppError('internal', 'internal_error', 'The refund answered for another invoice');
  }
  return {
    refund_id: result.refundId,
    invoice: result.stripeInvoiceId,
    charge: result.stripeChargeId,
    amount_cents: result.amountCents,
    currency: result.currency,
    charge_amount_cents: result.chargeAmountCents,
    amount_refunded_cents: result.amountRefundedCents,
    refunded: result.refunded,
    idempotency_key: req.idempotencyKey,
  };
}
