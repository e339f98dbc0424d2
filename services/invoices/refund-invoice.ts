import { createHash } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import type { RefundResult } from '../../activities/stripe/charges';
import { Invoice } from '../../db/entities';
import { AppError, conflict, notFound } from '../../domain/errors';
import { refundInvoiceWorkflow } from '../../workflows';
import type { Identity } from '../../domain/identity';
import type { CoreDeps } from '../deps';
import { callWorkflow } from '../temporal/gateway';

export interface AdminRefund {
  invoiceId: string;
  amountCents?: number;
  reason: string;
  idempotencyKey: string;
}

/** One run per invoice and key: the key is hashed so any printable key fits a workflow id. */
export function refundWorkflowId(stripeInvoiceId: string, key: string): string {
  return `refund-${stripeInvoiceId}-${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;
}

/** A refund's failure as the engine's error shape; anything else passes through to the gateway. */
function refundFailure(err: unknown): unknown {
  if (!(err instanceof WorkflowFailedError)) return err;
  const inner = err.cause instanceof ActivityFailure ? err.cause.cause : err.cause;
  if (!(inner instanceof ApplicationFailure)) return err;
  if (inner.type === 'RefundExceedsCharge') return conflict('refund_exceeds_charge', inner.message);
  if (inner.type === 'NoCharge') return conflict('invoice_not_paid', inner.message);
  // Stripe's resource_missing here means the invoice (or its charge) is not Stripe's either.
  if (inner.type === 'InvoiceNotFound' || inner.type === 'NotFound') return notFound('invoice');
  return err;
}

/**
 * Refunds an invoice's charge through its workflow, started at most once per key (closed runs are not
 * started again), so a replayed request waits for the first run and answers its result, success or
 * refusal, and Stripe sees one refund. Stripe's own idempotency key, derived from the same key, covers
 * a retried activity.
 */
export async function refundInvoiceAsAdmin(deps: CoreDeps, actor: Identity, req: AdminRefund) {
  const em = deps.orm.em.fork();
  const invoice = await em.findOne(Invoice, {
    $or: [{ id: req.invoiceId }, { stripeInvoiceId: req.invoiceId }],
  });
  // Stripe's id may name an invoice whose event has not been mirrored yet: Stripe is asked then.
  const stripeInvoiceId = invoice?.stripeInvoiceId ?? (/^in_\w+$/.test(req.invoiceId) ? req.invoiceId : null);
  if (!stripeInvoiceId) throw notFound('invoice', req.invoiceId);
  const workflowId = refundWorkflowId(stripeInvoiceId, req.idempotencyKey);
  const result: RefundResult = await callWorkflow(deps, async () => {
    try {
      await deps.temporal.workflow.start(refundInvoiceWorkflow, {
        workflowId,
        taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        workflowIdConflictPolicy: 'USE_EXISTING',
        args: [
          {
            invoiceId: stripeInvoiceId,
            amountCents: req.amountCents,
            reason: req.reason,
            idempotencyKey: req.idempotencyKey,
            actorId: actor.sub,
            actorEmail: actor.email,
          },
        ],
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    try {
      return (await deps.temporal.workflow.getHandle(workflowId).result()) as RefundResult;
    } catch (err) {
      throw refundFailure(err);
    }
  });
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
