import type { EntityManager } from '@mikro-orm/core';
import type Stripe from 'stripe';
import {
  Charge,
  CouponRedemption,
  CouponRow,
  CreditNote,
  Customer,
  Invoice,
  PaymentMethod,
  PromotionCodeRow,
  Refund,
  Subscription,
} from '../../db/entities';
import { newId } from '../../db/ids';
import type { SubscriptionStatus } from '../../domain/subscription-status';
import { subscriptionIdOfInvoice, type SubscriptionSnapshot } from '../stripe/snapshots';
import { expandableId } from '../../integrations/stripe/expandable-id';
import { recordBillingEvent } from '../../db/billing-events';
import { sqlFor } from '../../db/raw-sql';
import { chargeObject, invoiceObject } from '../../integrations/webhooks/objects';

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
    at: new Date(),
  });
}

const date = (s: number | null | undefined) => (s ? new Date(s * 1000) : null);
const dateIso = (s: string | null) => (s ? new Date(s) : null);

/** Copies Stripe's view of a subscription, with the status the workflow decided, into the mirror. */
export function applySubscriptionSnapshot(
  row: Subscription,
  snap: SubscriptionSnapshot,
  status: SubscriptionStatus,
): void {
  row.status = status;
  row.stripeSubscriptionId = snap.stripeSubscriptionId;
  row.stripeSubscriptionItemId = snap.itemId;
  row.stripePriceId = snap.priceId;
  row.amountCents = snap.amountCents;
  row.interval = snap.interval;
  row.currentPeriodStart = dateIso(snap.currentPeriodStart);
  row.currentPeriodEnd = dateIso(snap.currentPeriodEnd);
  row.trialEnd = dateIso(snap.trialEnd);
  row.cancelAtPeriodEnd = snap.cancelAtPeriodEnd;
  row.canceledAt = dateIso(snap.canceledAt);
  // The engine's coupon ids are Stripe's; a snapshot from before discounts were read leaves it alone.
  if (snap.discount !== undefined)
    row.discount = snap.discount
      ? {
          couponId: snap.discount.stripeCouponId,
          promotionCodeId: snap.discount.stripePromotionCodeId,
          start: snap.discount.start,
          end: snap.discount.end,
        }
      : null;
}

/**
 * Records a coupon as redeemed on a subscription, once, the first time the mirror sees its discount (on the
 * subscription, or on an invoice: a `once` discount is gone from the subscription once its invoice is
 * made). What max redemptions and the redemption counts read. Coupons not of the engine are ignored.
 */
export async function recordRedemption(
  em: EntityManager,
  r: {
    couponId: string;
    stripePromotionCodeId: string | null;
    customerId: string;
    subscriptionId: string;
    at: Date;
  },
): Promise<void> {
  if (!(await em.findOne(CouponRow, { id: r.couponId }))) return;
  if (await em.findOne(CouponRedemption, { subscriptionId: r.subscriptionId, couponId: r.couponId })) return;
  const promo = r.stripePromotionCodeId
    ? await em.findOne(PromotionCodeRow, { stripePromotionCodeId: r.stripePromotionCodeId })
    : null;
  em.create(CouponRedemption, {
    id: newId('red'),
    couponId: r.couponId,
    promotionCodeId: promo?.id ?? null,
    customerId: r.customerId,
    subscriptionId: r.subscriptionId,
    redeemedAt: r.at,
  });
}

/**
 * A subscription's discount as the mirror keeps it: with its coupon's terms in the subscription's currency
 * beside it (for the estimate and the proration preview), and its redemption recorded.
 */
export async function settleSubscriptionDiscount(em: EntityManager, row: Subscription): Promise<void> {
  const d = row.discount;
  if (!d) return;
  const coupon = await em.findOne(CouponRow, { id: d.couponId });
  if (coupon && (d.percentOffBp === undefined || d.recurring === undefined || d.name === undefined))
    row.discount = {
      ...d,
      name: coupon.name,
      percentOffBp: coupon.percentOffBp ?? null,
      amountOffCents: coupon.amountOff?.[row.currency] ?? null,
      recurring: coupon.duration !== 'once',
    };
  await recordRedemption(em, {
    couponId: d.couponId,
    stripePromotionCodeId: d.promotionCodeId,
    customerId: typeof row.customer === 'string' ? row.customer : row.customer.id,
    subscriptionId: row.id,
    at: new Date(d.start),
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

/** Upserts the invoice mirror by Stripe id; the customer must already be mirrored. */
export async function upsertInvoice(em: EntityManager, inv: Stripe.Invoice): Promise<Invoice | null> {
  const stripeCustomerId = expandableId(inv.customer);
  const customer = stripeCustomerId ? await em.findOne(Customer, { stripeCustomerId }) : null;
  if (!customer) return null;
  const stripeSubId = subscriptionIdOfInvoice(inv);
  const subscription = stripeSubId
    ? await em.findOne(Subscription, { stripeSubscriptionId: stripeSubId })
    : null;
  let row = await em.findOne(Invoice, { stripeInvoiceId: inv.id as string });
  const before = { status: row?.status ?? null, attempts: row?.attemptCount ?? 0 };
  if (!row) {
    row = em.create(Invoice, {
      id: newId('inv'),
      stripeInvoiceId: inv.id as string,
      customer,
      status: inv.status ?? 'draft',
      createdAt: date(inv.created) ?? new Date(),
    });
  }
  row.subscription = subscription;
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
  await recordInvoiceEvents(em, row, before);
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
          at: date(d.start) ?? new Date(),
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

/** Upserts a card into the mirror; `isDefault` follows the customer's invoice default. */
export async function upsertPaymentMethod(
  em: EntityManager,
  customer: Customer,
  pm: Stripe.PaymentMethod,
  isDefault: boolean,
): Promise<PaymentMethod> {
  let row = await em.findOne(PaymentMethod, { stripePaymentMethodId: pm.id });
  if (!row) {
    row = em.create(PaymentMethod, {
      id: newId('pmt'),
      stripePaymentMethodId: pm.id,
      customer,
      createdAt: date(pm.created) ?? new Date(),
    });
  }
  row.type = pm.type;
  row.brand = pm.card?.brand ?? null;
  row.last4 = pm.card?.last4 ?? null;
  row.expMonth = pm.card?.exp_month ?? null;
  row.expYear = pm.card?.exp_year ?? null;
  row.fingerprint = pm.card?.fingerprint ?? null;
  row.detachedAt = null;
  if (isDefault) {
    // The row itself is left out: had it been default already, the update would clear it in the database
    // while the loaded row, unchanged, would not be written back.
    await em.nativeUpdate(
      PaymentMethod,
      { customer, isDefault: true, stripePaymentMethodId: { $ne: pm.id } },
      { isDefault: false },
    );
    row.isDefault = true;
  }
  await em.flush();
  return row;
}

/**
 * Rows read only to point at them (a charge's customer and invoice) are read as their id alone: a whole
 * row would be written back by the flush on SQLite, where MikroORM sees its dates as changed, and an
 * unchanged invoice or customer would get a new `updated_at` each time one of its charges is mirrored.
 */
const LINK_ONLY = { fields: ['id'] as never[] };

/** Outcomes a charge never leaves: a read made before one of them must not undo it. */
const SETTLED_CHARGE = new Set(['succeeded', 'failed']);

/**
 * Upserts the charge mirror by Stripe id from a charge read from Stripe; the customer must already be
 * mirrored. Reads may land out of order (two events' re-reads racing), so nothing moves backwards: a
 * settled status stays, and the refunded amount only grows.
 */
export async function upsertCharge(
  em: EntityManager,
  ch: Stripe.Charge,
  /** The charge's latest dispute, when it has one. */
  dispute?: Stripe.Dispute | null,
): Promise<Charge | null> {
  const stripeCustomerId = expandableId(ch.customer);
  const customer = stripeCustomerId ? await em.findOne(Customer, { stripeCustomerId }, LINK_ONLY) : null;
  if (!customer) return null;
  // Newer API versions drop `invoice` from the charge type; Stripe and the emulator still send it.
  const stripeInvoiceId = expandableId((ch as unknown as { invoice?: unknown }).invoice);
  const invoice = stripeInvoiceId ? await em.findOne(Invoice, { stripeInvoiceId }, LINK_ONLY) : null;
  let row = await em.findOne(Charge, { stripeChargeId: ch.id });
  const refundedBefore = row?.amountRefundedCents ?? 0;
  if (!row) {
    row = em.create(Charge, {
      id: newId('chg'),
      stripeChargeId: ch.id,
      customer,
      amountCents: ch.amount,
      status: ch.status,
      createdAt: date(ch.created) ?? new Date(),
    });
  }
  if (!(SETTLED_CHARGE.has(row.status) && !SETTLED_CHARGE.has(ch.status))) row.status = ch.status;
  row.amountCents = ch.amount;
  row.currency = ch.currency;
  row.paid = row.paid || ch.paid;
  row.amountRefundedCents = Math.max(row.amountRefundedCents, ch.amount_refunded);
  row.refunded = row.refunded || ch.refunded;
  row.stripeInvoiceId = stripeInvoiceId ?? row.stripeInvoiceId ?? null;
  row.invoice = invoice ?? row.invoice ?? null;
  row.description = ch.description ?? null;
  row.failureCode = ch.failure_code ?? null;
  row.cardBrand = ch.payment_method_details?.card?.brand ?? row.cardBrand ?? null;
  row.cardLast4 = ch.payment_method_details?.card?.last4 ?? row.cardLast4 ?? null;
  if (dispute) applyDispute(row, dispute);
  // Each refunded total is published once, before the mirror's write (as for invoices).
  if (row.amountRefundedCents > refundedBefore)
    await recordBillingEvent(sqlFor(em), {
      customerId: customer.id,
      type: 'charge.refunded',
      payload: {
        ...chargeObject(row),
        refunded_now_cents: row.amountRefundedCents - refundedBefore,
      },
      dedupeKey: `charge.refunded:${row.stripeChargeId}:${row.amountRefundedCents}`,
      at: new Date(),
    });
  await em.flush();
  return row;
}

/**
 * How far along a dispute is: an inquiry (`warning_…`) may become a dispute, a dispute goes under review,
 * and it ends won, lost or closed. A read of an earlier stage never undoes a later one.
 */
const DISPUTE_STAGE: Record<string, number> = {
  warning_needs_response: 0,
  warning_under_review: 1,
  needs_response: 2,
  under_review: 3,
  warning_closed: 4,
  prevented: 4,
  won: 4,
  lost: 4,
};
/** A dispute at this stage has ended. */
export const FINAL_DISPUTE_STAGE = 4;
export const stageOfDispute = (status: string | null | undefined) =>
  status ? (DISPUTE_STAGE[status] ?? 0) : -1;

/** Copies a dispute onto its charge's row; an older dispute of the charge never replaces a newer one. */
function applyDispute(row: Charge, d: Stripe.Dispute): void {
  const at = date(d.created);
  if (row.stripeDisputeId && row.stripeDisputeId !== d.id && row.disputedAt && at && at < row.disputedAt)
    return;
  const same = row.stripeDisputeId === d.id;
  if (!same || stageOfDispute(d.status) >= stageOfDispute(row.disputeStatus)) row.disputeStatus = d.status;
  row.stripeDisputeId = d.id;
  row.disputedAmountCents = d.amount;
  row.disputeReason = d.reason ?? null;
  row.disputedAt = at ?? row.disputedAt ?? null;
}

/**
 * Upserts the credit note mirror by Stripe id from a credit note read from Stripe; the customer must
 * already be mirrored. A credit note's amounts never change once issued; only voiding it does, and a
 * void one stays void whatever an older read says.
 */
export async function upsertCreditNote(em: EntityManager, cn: Stripe.CreditNote): Promise<CreditNote | null> {
  const stripeCustomerId = expandableId(cn.customer);
  const customer = stripeCustomerId ? await em.findOne(Customer, { stripeCustomerId }, LINK_ONLY) : null;
  const stripeInvoiceId = expandableId(cn.invoice);
  if (!customer || !stripeInvoiceId) return null;
  const invoice = await em.findOne(Invoice, { stripeInvoiceId }, LINK_ONLY);
  const refundedCents = (cn.refunds ?? []).reduce((sum, r) => sum + (r.amount_refunded ?? 0), 0);
  let row = await em.findOne(CreditNote, { stripeCreditNoteId: cn.id });
  if (!row) {
    row = em.create(CreditNote, {
      id: newId('crn'),
      stripeCreditNoteId: cn.id,
      customer,
      stripeInvoiceId,
      amountCents: cn.amount,
      creditedCents: cn.amount - refundedCents,
      type: cn.type,
      status: cn.status,
      createdAt: date(cn.created) ?? new Date(),
    });
  }
  row.invoice = invoice ?? row.invoice ?? null;
  row.number = cn.number || null;
  row.amountCents = cn.amount;
  row.refundedCents = refundedCents;
  row.creditedCents = cn.amount - refundedCents;
  row.currency = cn.currency;
  row.type = cn.type;
  if (row.status !== 'void') row.status = cn.status;
  row.voidedAt = row.voidedAt ?? date(cn.voided_at);
  row.reason = cn.reason ?? null;
  row.memo = cn.memo ?? null;
  await em.flush();
  return row;
}

/**
 * How far along a refund is: pending (or waiting on the customer), then succeeded, and a succeeded one may
 * still fail later; failed and canceled are ends. A read from an earlier stage never undoes a later one.
 */
const REFUND_STAGE: Record<string, number> = {
  pending: 0,
  requires_action: 0,
  succeeded: 1,
  failed: 2,
  canceled: 2,
};

/**
 * Upserts the refund mirror by Stripe id from a refund read from Stripe; its charge must already be
 * mirrored. A refund's amount never changes; its status only moves forward (see REFUND_STAGE).
 */
export async function upsertRefund(em: EntityManager, r: Stripe.Refund): Promise<Refund | null> {
  const stripeChargeId = expandableId(r.charge);
  const charge = stripeChargeId
    ? ((await em.findOne(
        Charge,
        { stripeChargeId },
        {
          fields: ['id', 'customer', 'stripeInvoiceId'],
        },
      )) as Charge | null)
    : null;
  if (!charge) return null;
  let row = await em.findOne(Refund, { stripeRefundId: r.id });
  if (!row) {
    row = em.create(Refund, {
      id: newId('rfd'),
      stripeRefundId: r.id,
      charge,
      customer: charge.customer,
      amountCents: r.amount,
      status: r.status ?? 'succeeded',
      createdAt: date(r.created) ?? new Date(),
    });
  }
  const status = r.status ?? 'succeeded';
  if ((REFUND_STAGE[status] ?? 0) >= (REFUND_STAGE[row.status] ?? 0)) row.status = status;
  row.amountCents = r.amount;
  row.currency = r.currency;
  row.reason = r.reason ?? null;
  row.stripeInvoiceId = charge.stripeInvoiceId ?? null;
  await em.flush();
  return row;
}
