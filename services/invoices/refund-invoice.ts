import { conflict } from '../../domain/errors';
import type { refundInvoiceWorkflow } from '../../workflows';
import type { Identity } from '../../domain/identity';
import type { CoreDeps } from '../deps';
import { workflowType } from '../temporal/workflow-type';
import { detailsOf, moneyBackOncePerKey, type MoneyBackRequest } from './once-per-key';
import { FAILURE } from '../../domain/failure-types';

export type AdminRefund = MoneyBackRequest;

export type IssuedRefund = Awaited<ReturnType<typeof refundInvoiceWorkflow>> & { idempotencyKey: string };

/**
 * Refunds an invoice's charge through its workflow, started at most once per key, so a replayed request
 * answers the first result, success or refusal, and Stripe sees one refund. Stripe's own idempotency key,
 * derived from the same key, covers a retried activity.
 */
export async function refundInvoiceAsAdmin(
  deps: CoreDeps,
  actor: Identity,
  req: AdminRefund,
): Promise<IssuedRefund> {
  return moneyBackOncePerKey(deps, actor, 'refund', workflowType('refundInvoiceWorkflow'), req, (failure) => {
    if (failure.type === FAILURE.refundExceedsCharge) {
      return conflict('refund_exceeds_charge', failure.message, {
        field: 'amountCents',
        amount_left_cents: detailsOf(failure).amountLeftCents ?? null,
      });
    }
    if (failure.type === FAILURE.chargeDisputed) {
      return conflict('charge_disputed', failure.message, {
        field: 'invoiceId',
        dispute_status: detailsOf(failure).disputeStatus ?? null,
      });
    }
    if (failure.type === FAILURE.noCharge) {
      return conflict('invoice_not_paid', failure.message, { field: 'invoiceId' });
    }
    return null;
  });
}
