import type { CreditNoteReason } from '../../domain/credit-notes';
import { AppError, conflict } from '../../domain/errors';
import type { Identity } from '../../domain/identity';
import type { creditInvoiceWorkflow } from '../../workflows';
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

export interface AdminCreditNote {
  invoiceId: string;
  amountCents?: number;
  reason: CreditNoteReason;
  memo?: string;
  idempotencyKey: string;
}

/**
 * Issues a credit note on an invoice through its workflow, started at most once per key, so a replayed
 * request answers the first result, success or refusal, and Stripe sees one credit note. Never more than
 * is left once refunds and earlier credit notes are counted.
 */
export async function creditInvoiceAsAdmin(deps: CoreDeps, actor: Identity, req: AdminCreditNote) {
  const stripeInvoiceId = await stripeInvoiceIdFor(deps.orm.em.fork(), req.invoiceId);
  const result = await runOncePerKey<Awaited<ReturnType<typeof creditInvoiceWorkflow>>>(
    deps,
    workflowType('creditInvoiceWorkflow'),
    moneyBackWorkflowId('credit-note', stripeInvoiceId, req.idempotencyKey),
    {
      invoiceId: stripeInvoiceId,
      amountCents: req.amountCents,
      reason: req.reason,
      memo: req.memo,
      idempotencyKey: req.idempotencyKey,
      actorId: actor.sub,
      actorEmail: actor.email,
    },
    (failure) => {
      if (failure.type === FAILURE.creditExceedsInvoice) {
        return conflict('credit_exceeds_invoice', failure.message, {
          field: 'body.amount_cents',
          amount_left_cents: detailsOf(failure).amountLeftCents ?? null,
        });
      }
      if (failure.type === FAILURE.invoiceNotCreditable) {
        return conflict('invoice_not_creditable', failure.message, {
          field: 'params.id',
          status: detailsOf(failure).status ?? null,
        });
      }
      if (failure.type === FAILURE.invoiceNotFound || failure.type === FAILURE.notFound) {
        return invoiceNotFound(req.invoiceId);
      }
      return null;
    },
  );
  if (result.stripeInvoiceId !== stripeInvoiceId) {
    throw new AppError('internal', 'internal_error', 'The credit note answered for another invoice');
  }
  return {
    credit_note_id: result.creditNoteId,
    number: result.number,
    invoice: result.stripeInvoiceId,
    amount_cents: result.amountCents,
    currency: result.currency,
    reason: result.reason,
    memo: result.memo,
    type: result.type,
    invoice_amount_paid_cents: result.invoiceAmountPaidCents,
    amount_credited_cents: result.amountCreditedCents,
    amount_refunded_cents: result.amountRefundedCents,
    amount_left_cents: result.amountLeftCents,
    idempotency_key: req.idempotencyKey,
  };
}
