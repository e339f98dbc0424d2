import type Stripe from 'stripe';
import { upcomingLineKind, type UpcomingInvoice } from '../../domain/upcoming-invoice';
import { expandableId } from './expandable-id';

export const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
export const sum = (xs: { amount: number }[] | null | undefined) =>
  (xs ?? []).reduce((s, x) => s + x.amount, 0);

/** The price a preview line bills, whichever of Stripe's shapes names it. */
export function priceOf(line: Stripe.InvoiceLineItem): string | null {
  const legacy = (line as unknown as { price?: string | { id: string } | null }).price;
  return expandableId(line.pricing?.price_details?.price ?? legacy ?? null);
}

/** Whether Stripe marks the line a proration (on its subscription item or its invoice item). */
export function isProration(line: Stripe.InvoiceLineItem): boolean {
  const parent = line.parent;
  return Boolean(
    parent?.subscription_item_details?.proration ??
    parent?.invoice_item_details?.proration ??
    (line as unknown as { proration?: boolean }).proration,
  );
}

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
    lines: inv.lines.data.map((line) => {
      const price = priceOf(line);
      const terms = (price && prices.get(price)) || { metered: false, recurring: false };
      return {
        kind: upcomingLineKind({ proration: isProration(line), ...terms }),
        description: line.description ?? '',
        quantity: line.quantity ?? 1,
        amountCents: line.amount,
        discountCents: sum(line.discount_amounts),
        taxCents: sum(line.taxes),
        periodStart: iso(line.period.start),
        periodEnd: iso(line.period.end),
      };
    }),
    subtotalCents: inv.subtotal,
    discountCents: sum(inv.total_discount_amounts),
    taxCents: sum(inv.total_taxes),
    totalCents: inv.total,
    amountDueCents: inv.amount_due,
  };
}
