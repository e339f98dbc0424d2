import type Stripe from 'stripe';
import { upcomingLineKind, type UpcomingInvoice } from '../../domain/upcoming-invoice';
import { issuedLinesOf, iso, sum } from './invoice-lines';

/**
 * Stripe's preview of a subscription's next invoice as the engine shows it; `prices` says which of the
 * subscription's prices are metered and which recur.
 */
export function upcomingInvoiceOf(
  inv: Stripe.Invoice,
  prices: Map<string, { metered: boolean; recurring: boolean }>,
): UpcomingInvoice {
  return {
    currency: inv.currency,
    issuedAt: iso(inv.next_payment_attempt ?? inv.period_end),
    lines: issuedLinesOf(inv.lines.data).map((line) => {
      const terms = (line.priceId && prices.get(line.priceId)) || { metered: false, recurring: false };
      return {
        kind: upcomingLineKind({ proration: line.proration, ...terms }),
        description: line.description,
        quantity: line.quantity,
        amountCents: line.amountCents,
        discountCents: line.discountCents,
        taxCents: line.taxCents,
        periodStart: line.periodStart,
        periodEnd: line.periodEnd,
      };
    }),
    subtotalCents: inv.subtotal,
    discountCents: sum(inv.total_discount_amounts),
    taxCents: sum(inv.total_taxes),
    totalCents: inv.total,
    amountDueCents: inv.amount_due,
  };
}
