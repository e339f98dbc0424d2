import type Stripe from 'stripe';
import type { IssuedLine } from '../../domain/invoice-explain';
import { expandableId } from './expandable-id';

export const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
export const sum = (xs: { amount: number }[] | null | undefined) =>
  (xs ?? []).reduce((s, x) => s + x.amount, 0);

/** The price a preview line bills, whichever of Stripe's shapes names it. */
function priceOf(line: Stripe.InvoiceLineItem): string | null {
  const legacy = (line as unknown as { price?: string | { id: string } | null }).price;
  return expandableId(line.pricing?.price_details?.price ?? legacy ?? null);
}

/** Whether Stripe marks the line a proration (on its subscription item or its invoice item). */
function isProration(line: Stripe.InvoiceLineItem): boolean {
  const parent = line.parent;
  return Boolean(
    parent?.subscription_item_details?.proration ??
    parent?.invoice_item_details?.proration ??
    (line as unknown as { proration?: boolean }).proration,
  );
}

/** An issued invoice's lines as the engine explains them, with the Stripe ids each names. */
export function issuedLinesOf(lines: readonly Stripe.InvoiceLineItem[]): IssuedLine[] {
  return lines.map((line) => ({
    stripeLineId: line.id,
    description: line.description ?? '',
    quantity: line.quantity ?? 1,
    amountCents: line.amount,
    discountCents: sum(line.discount_amounts),
    taxCents: sum(line.taxes),
    periodStart: iso(line.period.start),
    periodEnd: iso(line.period.end),
    proration: isProration(line),
    priceId: priceOf(line),
    subscriptionItemId: expandableId(line.parent?.subscription_item_details?.subscription_item ?? null),
    invoiceItemId: expandableId(line.parent?.invoice_item_details?.invoice_item ?? null),
  }));
}

/** The payment that paid an invoice, as Stripe names it (none before one is attempted). */
export function paymentOf(inv: Stripe.Invoice): { paymentIntentId: string | null } {
  const legacy = (inv as unknown as { payment_intent?: string | { id: string } | null }).payment_intent;
  const fromPayments = inv.payments?.data?.[0]?.payment?.payment_intent;
  return { paymentIntentId: expandableId(fromPayments ?? legacy ?? null) };
}

/** An issued invoice's lines, every page of them, and the payment that paid it, read from Stripe. */
export async function readIssuedLines(
  stripe: Stripe,
  stripeInvoiceId: string,
): Promise<{ lines: IssuedLine[]; paymentIntentId: string | null }> {
  const inv = await stripe.invoices.retrieve(stripeInvoiceId);
  const lines = inv.lines.has_more
    ? await stripe.invoices
        .listLineItems(stripeInvoiceId, { limit: 100 })
        .autoPagingToArray({ limit: 10_000 })
    : inv.lines.data;
  return { lines: issuedLinesOf(lines), ...paymentOf(inv) };
}
