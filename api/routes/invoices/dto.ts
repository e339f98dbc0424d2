import type { InvoiceRow } from '../../../db/customer-reads';
import { centsToDollars } from '../../../domain/money';
import type { MoneyBack } from '../../../services/invoices/own-invoices';

const NOTHING_BACK: MoneyBack = { refundedCents: 0, creditedCents: 0 };

/**
 * An invoice as clients read it (money in dollars beside integer cents, dates in ISO 8601), with the
 * engine's own PDF link and what was refunded and credited on it.
 */
export function invoiceDto(inv: InvoiceRow, billingBase: string, back: MoneyBack = NOTHING_BACK) {
  return {
    id: inv.stripeInvoiceId,
    number: inv.number ?? null,
    amount_due: centsToDollars(inv.amountDueCents),
    amount_paid: centsToDollars(inv.amountPaidCents),
    amount_due_cents: inv.amountDueCents,
    amount_paid_cents: inv.amountPaidCents,
    total_cents: inv.totalCents,
    currency: inv.currency,
    status: inv.status,
    created: inv.createdAt.toISOString(),
    due_date: inv.dueDate?.toISOString() ?? null,
    paid: inv.status === 'paid',
    paid_at: inv.paidAt?.toISOString() ?? null,
    period_start: inv.periodStart?.toISOString() ?? null,
    period_end: inv.periodEnd?.toISOString() ?? null,
    invoice_pdf: inv.invoicePdf ?? null,
    hosted_invoice_url: inv.hostedInvoiceUrl ?? null,
    pdf_url: inv.invoicePdf ? `${billingBase}/invoice/${encodeURIComponent(inv.stripeInvoiceId)}/pdf` : null,
    amount_refunded: centsToDollars(back.refundedCents),
    amount_credited: centsToDollars(back.creditedCents),
    amount_refunded_cents: back.refundedCents,
    amount_credited_cents: back.creditedCents,
  };
}
