import { centsToDollars } from '../../../domain/money';
import type { UpcomingInvoice } from '../../../domain/upcoming-invoice';
/**
 * An invoice as clients read it (money in dollars beside integer cents, dates in ISO 8601), with the
 * engine's own PDF link and what was refunded and credited on it: the shape the outgoing webhooks carry
 * too (integrations/webhooks/objects.ts).
 */
export { invoiceObject as invoiceDto } from '../../../integrations/webhooks/objects';

/** The next invoice as Stripe would issue it now, in integer cents (and the amount due in dollars). */
export function upcomingInvoiceDto(u: UpcomingInvoice) {
  return {
    currency: u.currency,
    issued_at: u.issuedAt,
    lines: u.lines.map((l) => ({
      kind: l.kind,
      description: l.description,
      quantity: l.quantity,
      amount_cents: l.amountCents,
      discount_cents: l.discountCents,
      tax_cents: l.taxCents,
      period_start: l.periodStart,
      period_end: l.periodEnd,
    })),
    subtotal_cents: u.subtotalCents,
    discount_cents: u.discountCents,
    tax_cents: u.taxCents,
    total_cents: u.totalCents,
    amount_due_cents: u.amountDueCents,
    amount_due: centsToDollars(u.amountDueCents),
  };
}
