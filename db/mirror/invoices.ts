import type { EntityManager } from '@mikro-orm/core';
import type Stripe from 'stripe';
import { Charge, CreditNote, Customer, Invoice, Subscription } from '../entities';
import { newId } from '../ids';
import { subscriptionIdOfInvoice } from '../../integrations/stripe/snapshots';
import { expandableId } from '../../integrations/stripe/expandable-id';
import { subscriptionIdOfForeign } from '../../integrations/stripe/subscription-owner';
import { recordBillingEvent } from '../billing-events';
import { sqlFor } from '../raw-sql';
import { invoiceObject } from '../../integrations/webhooks/objects';
import { date } from './shared';
import { systemClock, type Clock } from '../../domain/clock';
import { recordRedemption } from './subscriptions';
import { isBehind, type InvoiceProgress } from '../../domain/invoice-progress';

function progressOf(inv: Stripe.Invoice): InvoiceProgress {
  return {
    status: inv.status ?? 'draft',
    attemptCount: inv.attempt_count ?? 0,
    amountPaidCents: inv.amount_paid ?? 0,
  };
}

function progressOfRow(row: Invoice): InvoiceProgress {
  return {
    status: row.status,
    attemptCount: row.attemptCount ?? 0,
    amountPaidCents: row.amountPaidCents ?? 0,
  };
}

/** Where the engine's billing routes live, which the invoice objects of outgoing webhooks name. */
const BILLING_PATH = '/api/v1/billing';

/**
 * `invoice.paid` the first time the mirror sees an invoice paid, and `invoice.payment_failed` for each
 * attempt Stripe counted that left it unpaid; each once (named after the invoice and the attempt).
 */
async function recordInvoiceEvents(
  em: EntityManager,
  row: Invoice,
  before: { status: string | null; attempts: number },
  clock: Clock,
): Promise<void> {
  const paid = row.status === 'paid' && before.status !== 'paid';
  const failed = !paid && row.status === 'open' && (row.attemptCount ?? 0) > before.attempts;
  if (!paid && !failed) return;
  const type = paid ? 'invoice.paid' : 'invoice.payment_failed';
  await recordBillingEvent(sqlFor(em), {
    customerId: row.customer.id,
    type,
    payload: { ...invoiceObject(row, BILLING_PATH), attempt_count: row.attemptCount ?? 0 },
    dedupeKey: paid ? `${type}:${row.stripeInvoiceId}` : `${type}:${row.stripeInvoiceId}:${row.attemptCount}`,
    at: clock.now(),
  });
}

function recordTaxDetails(customer: Customer, inv: Stripe.Invoice): void {
  const a = inv.customer_address;
  customer.billingAddress = a
    ? {
        country: a.country ?? null,
        line1: a.line1 ?? null,
        line2: a.line2 ?? null,
        city: a.city ?? null,
        postalCode: a.postal_code ?? null,
        state: a.state ?? null,
      }
    : null;
  customer.taxIds = (inv.customer_tax_ids ?? []).map((t) => ({ type: t.type, value: t.value ?? '' }));
}

/**
 * The subscription an invoice bills. A subscription's first invoice can be mirrored before the subscription's
 * workflow has recorded its Stripe id (the invoice's own run reads it at once), so the engine's id is tried
 * too: the one its checkout put in the metadata Stripe copies onto the invoice, or the one a subscription
 * made outside the engine is given.
 */
async function subscriptionOfInvoice(
  em: EntityManager,
  inv: Stripe.Invoice,
  customer: Customer,
): Promise<Subscription | null> {
  const stripeSubId = subscriptionIdOfInvoice(inv);
  if (!stripeSubId) return null;
  const linked = await em.findOne(Subscription, { stripeSubscriptionId: stripeSubId });
  if (linked) return linked;
  const ours = (inv.parent?.subscription_details?.metadata ?? {}) as Record<string, string>;
  const candidates = [ours.subscription_id, subscriptionIdOfForeign(stripeSubId)].filter(
    (id): id is string => typeof id === 'string' && id.length > 0,
  );
  const row = await em.findOne(Subscription, { id: { $in: candidates } });
  // Another customer's row, or another Stripe subscription's, is not this invoice's whatever its metadata says.
  const ownRow =
    row &&
    customerIdOf(row) === customer.id &&
    (!row.stripeSubscriptionId || row.stripeSubscriptionId === stripeSubId);
  return ownRow ? row : null;
}

function customerIdOf(row: Subscription): string {
  return typeof row.customer === 'string' ? row.customer : row.customer.id;
}

/**
 * Upserts the invoice mirror by Stripe id; the customer must already be mirrored. The invoice may come from
 * a read or from an event's payload, in any order and from several processes at once: a copy that shows the
 * invoice at an earlier point than the mirror (domain/invoice-progress.ts) is not written, and the row is
 * held for the transaction (PostgreSQL; SQLite has one writer), so a slower write of an older copy cannot
 * land over a newer one. Returns the row as mirrored, or null when the customer is not mirrored.
 */
export async function upsertInvoice(
  em: EntityManager,
  inv: Stripe.Invoice,
  /** Where the time of the mirror's own dates comes from. */
  clock: Clock = systemClock,
): Promise<Invoice | null> {
  const stripeCustomerId = expandableId(inv.customer);
  if (!stripeCustomerId) return null;
  return em.transactional(async (tx) => {
    const customer = await tx.findOne(Customer, { stripeCustomerId });
    return customer ? writeInvoice(tx, inv, customer, clock) : null;
  });
}

async function writeInvoice(
  em: EntityManager,
  inv: Stripe.Invoice,
  customer: Customer,
  clock: Clock,
): Promise<Invoice> {
  const sql = sqlFor(em);
  if (sql.dialect === 'postgresql')
    await sql.run('select id from invoices where stripe_invoice_id = ? for update', [inv.id]);
  let row = await em.findOne(Invoice, { stripeInvoiceId: inv.id as string }, { refresh: true });
  if (row && isBehind(progressOf(inv), progressOfRow(row))) return row;
  const subscription = await subscriptionOfInvoice(em, inv, customer);
  const before = { status: row?.status ?? null, attempts: row?.attemptCount ?? 0 };
  if (!row) {
    row = em.create(Invoice, {
      id: newId('inv'),
      stripeInvoiceId: inv.id as string,
      customer,
      status: inv.status ?? 'draft',
      createdAt: date(inv.created) ?? clock.now(),
    });
  }
  // A link once made stays: a copy read before the subscription was recorded finds none.
  row.subscription = subscription ?? row.subscription ?? null;
  row.number = inv.number ?? null;
  row.status = inv.status ?? 'draft';
  row.currency = inv.currency;
  row.subtotalCents = inv.subtotal;
  row.totalCents = inv.total;
  row.discountCents = (inv.total_discount_amounts ?? []).reduce((sum, d) => sum + d.amount, 0);
  row.taxCents = (inv.total_taxes ?? []).reduce((sum, t) => sum + t.amount, 0);
  row.reverseCharge = (inv.total_taxes ?? []).some((t) => t.taxability_reason === 'reverse_charge');
  // The address and tax ids Stripe taxed by: the customer's as of their newest invoice that carries them.
  // An older invoice mirrored late (a redelivered event) leaves a newer address alone.
  if (
    inv.customer_address &&
    (await em.count(Invoice, { customer, createdAt: { $gt: date(inv.created) ?? new Date(0) } })) === 0
  )
    recordTaxDetails(customer, inv);
  row.amountDueCents = inv.amount_due;
  row.amountPaidCents = inv.amount_paid;
  row.billingReason = inv.billing_reason ?? null;
  row.attemptCount = inv.attempt_count;
  row.periodStart = date(inv.period_start);
  row.periodEnd = date(inv.period_end);
  row.dueDate = date(inv.due_date);
  row.paidAt = date(inv.status_transitions?.paid_at);
  row.hostedInvoiceUrl = inv.hosted_invoice_url ?? null;
  row.invoicePdf = inv.invoice_pdf ?? null;
  // Before the mirror's write: Stripe's state is already true, and a retry after a crash between the two
  // finds the event there (its dedupe key) rather than the change already mirrored and no event.
  await recordInvoiceEvents(em, row, before, clock);
  // Read with `expand: ['discounts']`, an invoice names the coupons it applied.
  if (subscription)
    for (const d of inv.discounts ?? []) {
      if (typeof d !== 'object' || d === null || !('source' in d)) continue;
      const coupon = d.source?.coupon;
      const couponId = typeof coupon === 'string' ? coupon : coupon?.id;
      if (couponId)
        await recordRedemption(em, {
          couponId,
          stripePromotionCodeId: expandableId(d.promotion_code) ?? null,
          customerId: customer.id,
          subscriptionId: subscription.id,
          at: date(d.start) ?? clock.now(),
        });
    }
  await em.flush();
  // A charge or credit note mirrored before its invoice points at it from now on.
  await em.nativeUpdate(Charge, { stripeInvoiceId: row.stripeInvoiceId, invoice: null }, { invoice: row });
  await em.nativeUpdate(
    CreditNote,
    { stripeInvoiceId: row.stripeInvoiceId, invoice: null },
    { invoice: row },
  );
  return row;
}
