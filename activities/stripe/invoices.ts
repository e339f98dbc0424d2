import type Stripe from 'stripe';
import type { ActivityDeps } from '../deps';
import { clockOf } from '../../domain/clock';
import { upsertInvoice } from '../../db/mirror';
import { mirrorCharge, type ChargeSyncResult } from './charges';
import { chargeIdOfInvoice } from './invoice-money';
import { stripeCall } from './errors';
import { idempotencyKey } from './idempotency';
import { requireStripe } from './require-stripe';
import { invoiceSnapshot } from '../../integrations/stripe/snapshots';
import type { InvoiceSnapshot } from '../../domain/stripe-snapshots';
import type { UpcomingInvoice } from '../../domain/upcoming-invoice';
import { upcomingInvoiceOf } from '../../integrations/stripe/upcoming-invoice';
import { readIssuedLines } from '../../integrations/stripe/invoice-lines';
import type { IssuedLine } from '../../domain/invoice-explain';

/**
 * The payment request itself. The key names the invoice and the attempt, so a retried activity never
 * charges twice, while the next dunning attempt is a real new try.
 */
export function requestInvoicePayment(
  stripe: Stripe,
  stripeInvoiceId: string,
  attempt: number,
  paymentMethodId?: string,
) {
  return stripe.invoices.pay(stripeInvoiceId, paymentMethodId ? { payment_method: paymentMethodId } : {}, {
    idempotencyKey: idempotencyKey(
      `invoice-pay:${stripeInvoiceId}:${attempt}${paymentMethodId ? `:${paymentMethodId}` : ''}`,
    ),
  });
}

/** Invoice activities: read (and mirror) an invoice, and attempt its payment. */
export function createStripeInvoiceActivities(deps: ActivityDeps) {
  /**
   * Stripe's preview of the subscription's next invoice (nothing is created): its lines, coupon, tax and
   * what the credit balance pays, with each line told apart by the price it bills.
   */
  async function previewUpcomingInvoice(
    stripeSubscriptionId: string,
    /** Lines to preview on top (an admin's what-if usage), in the subscription's currency. */
    extraItems: readonly { amountCents: number; currency: string; description: string }[] = [],
  ): Promise<UpcomingInvoice> {
    const stripe = requireStripe(deps);
    const [sub, inv] = await Promise.all([
      stripeCall(() => stripe.subscriptions.retrieve(stripeSubscriptionId)),
      stripeCall(() =>
        stripe.invoices.createPreview({
          subscription: stripeSubscriptionId,
          ...(extraItems.length > 0 && {
            invoice_items: extraItems.map((i) => ({
              amount: i.amountCents,
              currency: i.currency,
              description: i.description,
            })),
          }),
        }),
      ),
    ]);
    const prices = new Map(
      sub.items.data.map((item) => [
        item.price.id,
        { metered: item.price.recurring?.usage_type === 'metered', recurring: item.price.recurring !== null },
      ]),
    );
    return upcomingInvoiceOf(inv, prices);
  }

  async function fetchInvoice(stripeInvoiceId: string): Promise<InvoiceSnapshot> {
    const stripe = requireStripe(deps);
    const inv = await stripeCall(() => stripe.invoices.retrieve(stripeInvoiceId, { expand: ['discounts'] }));
    await upsertInvoice(deps.orm.em.fork(), inv, clockOf(deps));
    return invoiceSnapshot(inv);
  }

  /**
   * One payment attempt of an open invoice (with `paymentMethodId` when a card was just added, else the
   * card Stripe would use); a decline fails with type CardDeclined.
   */
  async function payInvoice(req: {
    stripeInvoiceId: string;
    attempt: number;
    paymentMethodId?: string;
  }): Promise<InvoiceSnapshot> {
    const stripe = requireStripe(deps);
    const current = await stripeCall(() => stripe.invoices.retrieve(req.stripeInvoiceId));
    if (current.status !== 'open') {
      await upsertInvoice(deps.orm.em.fork(), current, clockOf(deps));
      return invoiceSnapshot(current);
    }
    const inv = await stripeCall(() =>
      requestInvoicePayment(stripe, req.stripeInvoiceId, req.attempt, req.paymentMethodId),
    );
    await upsertInvoice(deps.orm.em.fork(), inv, clockOf(deps));
    return invoiceSnapshot(inv);
  }

  /**
   * An invoice's mirror run's one step: the invoice as Stripe has it now and, once a payment of it was
   * attempted, the charge of that payment, from one read of the invoice (no second read to find it).
   */
  async function mirrorInvoiceAndCharge(
    stripeInvoiceId: string,
  ): Promise<{ invoice: InvoiceSnapshot; charge: ChargeSyncResult | null }> {
    const stripe = requireStripe(deps);
    const inv = await stripeCall(() => stripe.invoices.retrieve(stripeInvoiceId, { expand: ['discounts'] }));
    const em = deps.orm.em.fork();
    await upsertInvoice(em, inv, clockOf(deps));
    const attempted = inv.attempt_count > 0 || inv.amount_paid > 0;
    const chargeId = attempted ? await chargeIdOfInvoice(stripe, em, stripeInvoiceId, inv) : null;
    return { invoice: invoiceSnapshot(inv), charge: chargeId ? await mirrorCharge(deps, chargeId) : null };
  }

  /** An issued invoice's lines, every page of them, and the payment that paid it (nothing is written). */
  async function fetchInvoiceLines(
    stripeInvoiceId: string,
  ): Promise<{ lines: IssuedLine[]; paymentIntentId: string | null }> {
    const stripe = requireStripe(deps);
    return stripeCall(() => readIssuedLines(stripe, stripeInvoiceId));
  }

  return { fetchInvoice, payInvoice, mirrorInvoiceAndCharge, previewUpcomingInvoice, fetchInvoiceLines };
}
