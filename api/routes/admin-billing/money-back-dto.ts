import type { IssuedCreditNote } from '../../../services/invoices/issue-credit-note';
import type { IssuedRefund } from '../../../services/invoices/refund-invoice';

/** An admin's refund as the refund route answers it. */
export function refundDto(r: IssuedRefund) {
  return {
    refund_id: r.refundId,
    invoice: r.stripeInvoiceId,
    charge: r.stripeChargeId,
    amount_cents: r.amountCents,
    currency: r.currency,
    charge_amount_cents: r.chargeAmountCents,
    amount_refunded_cents: r.amountRefundedCents,
    refunded: r.refunded,
    idempotency_key: r.idempotencyKey,
  };
}

/** An admin's credit note as the credit-notes route answers it. */
export function creditNoteDto(c: IssuedCreditNote) {
  return {
    credit_note_id: c.creditNoteId,
    number: c.number,
    invoice: c.stripeInvoiceId,
    amount_cents: c.amountCents,
    currency: c.currency,
    reason: c.reason,
    memo: c.memo,
    type: c.type,
    invoice_amount_paid_cents: c.invoiceAmountPaidCents,
    amount_credited_cents: c.amountCreditedCents,
    amount_refunded_cents: c.amountRefundedCents,
    amount_left_cents: c.amountLeftCents,
    idempotency_key: c.idempotencyKey,
  };
}
