import type { InvoiceRow } from '../../db/invoice-reads';
import type { LiveSubscriptionRow } from '../../db/live-subscription';
import { billingCycleOf } from '../../domain/billing-cycle';
import { centsToDollars } from '../../domain/money';
import type { Entitlement } from '../../domain/entitlements';

/**
 * The objects the API answers with and the outgoing webhooks carry: one shape for both, so an event's
 * `data` is exactly what a client reading the API would see. Money in dollars beside integer cents,
 * times in ISO 8601.
 */

/** What a subscription's public shape reads; the mirror's entity and the API's read row both have it. */
export type SubscriptionFields = Pick<
  LiveSubscriptionRow,
  'id' | 'tier' | 'status' | 'interval' | 'amountCents' | 'currency' | 'cancelAtPeriodEnd'
> & {
  [
    K in
      | 'stripeSubscriptionId'
      | 'currentPeriodStart'
      | 'currentPeriodEnd'
      | 'trialEnd'
      | 'pendingTier'
      | 'pendingInterval'
      | 'pendingAmountCents'
      | 'pendingEffectiveAt'
      | 'discount'
      | 'awaitingCard'
      | 'billingAnchor'
      | 'seats'
  ]?: LiveSubscriptionRow[K] | undefined;
};

const iso = (d: Date | null | undefined) => d?.toISOString() ?? null;

/** A subscription as clients read it. */
export function subscriptionObject(sub: SubscriptionFields) {
  return {
    subscription_id: sub.id,
    tier: sub.tier,
    status: sub.status,
    current_period_start: iso(sub.currentPeriodStart),
    current_period_end: iso(sub.currentPeriodEnd),
    trial_end: iso(sub.trialEnd),
    cancel_at_period_end: sub.cancelAtPeriodEnd,
    awaiting_card: sub.awaitingCard ?? false,
    billing_anchor: sub.billingAnchor ?? 'anniversary',
    // The units the price is billed for: the seats on a plan priced per seat.
    seats: sub.seats ?? 1,
    amount: centsToDollars(sub.amountCents),
    amount_cents: sub.amountCents,
    interval: sub.interval,
    currency: sub.currency,
    stripe_subscription_id: sub.stripeSubscriptionId ?? null,
    // The coupon Stripe applies to its invoices, and until when (null: every invoice, or only the next).
    discount: sub.discount
      ? {
          coupon_id: sub.discount.couponId,
          coupon_name: sub.discount.name ?? null,
          start: sub.discount.start,
          end: sub.discount.end,
          percent_off: sub.discount.percentOffBp == null ? null : sub.discount.percentOffBp / 100,
          amount_off_cents: sub.discount.amountOffCents ?? null,
        }
      : null,
    pending_change: pendingChangeObject(
      sub.pendingTier && sub.pendingInterval && sub.pendingAmountCents != null && sub.pendingEffectiveAt
        ? {
            tier: sub.pendingTier,
            interval: sub.pendingInterval,
            amountCents: sub.pendingAmountCents,
            effectiveAt: sub.pendingEffectiveAt.toISOString(),
          }
        : null,
    ),
  };
}

/** A plan change waiting for period end; null when none is pending. */
export function pendingChangeObject(
  p: { tier: string; interval: 'month' | 'year'; amountCents: number; effectiveAt: string } | null,
) {
  if (!p) return null;
  return {
    tier: p.tier,
    billing_cycle: billingCycleOf(p.interval),
    interval: p.interval,
    amount: centsToDollars(p.amountCents),
    amount_cents: p.amountCents,
    effective_at: p.effectiveAt,
  };
}

export type InvoiceFields = Pick<
  InvoiceRow,
  | 'stripeInvoiceId'
  | 'status'
  | 'currency'
  | 'totalCents'
  | 'discountCents'
  | 'taxCents'
  | 'reverseCharge'
  | 'amountDueCents'
  | 'amountPaidCents'
  | 'createdAt'
> & {
  [K in 'number' | 'periodStart' | 'periodEnd' | 'dueDate' | 'paidAt' | 'hostedInvoiceUrl' | 'invoicePdf']?:
    InvoiceRow[K] | undefined;
};

/** What was refunded on an invoice's charges and credited by its credit notes. */
export interface MoneyBackCents {
  refundedCents: number;
  creditedCents: number;
}

/**
 * An invoice as clients read it, with the engine's own PDF link under `billingBase` (the API's billing
 * routes; webhooks carry the path, `/api/v1/billing`, as the engine's address is the receiver's to know).
 */
export function invoiceObject(
  inv: InvoiceFields,
  billingBase: string,
  back: MoneyBackCents = { refundedCents: 0, creditedCents: 0 },
) {
  return {
    id: inv.stripeInvoiceId,
    number: inv.number ?? null,
    amount_due: centsToDollars(inv.amountDueCents),
    amount_paid: centsToDollars(inv.amountPaidCents),
    amount_due_cents: inv.amountDueCents,
    amount_paid_cents: inv.amountPaidCents,
    total_cents: inv.totalCents,
    // What the subscription's coupon took off, already out of the total.
    discount_cents: inv.discountCents,
    // Tax Stripe added on top (in the total), and whether the customer self-accounts for it instead.
    tax_cents: inv.taxCents,
    reverse_charge: inv.reverseCharge,
    currency: inv.currency,
    status: inv.status,
    created: inv.createdAt.toISOString(),
    due_date: iso(inv.dueDate),
    paid: inv.status === 'paid',
    paid_at: iso(inv.paidAt),
    period_start: iso(inv.periodStart),
    period_end: iso(inv.periodEnd),
    invoice_pdf: inv.invoicePdf ?? null,
    hosted_invoice_url: inv.hostedInvoiceUrl ?? null,
    pdf_url: inv.invoicePdf ? `${billingBase}/invoice/${encodeURIComponent(inv.stripeInvoiceId)}/pdf` : null,
    amount_refunded: centsToDollars(back.refundedCents),
    amount_credited: centsToDollars(back.creditedCents),
    amount_refunded_cents: back.refundedCents,
    amount_credited_cents: back.creditedCents,
  };
}

/** What a charge's public shape reads (the mirror's row). */
export interface ChargeFields {
  stripeChargeId: string;
  amountCents: number;
  amountRefundedCents: number;
  currency?: string | null;
  status: string;
  paid: boolean;
  refunded: boolean;
  stripeInvoiceId?: string | null;
  createdAt: Date;
}

/** A charge as the admin lists show it (the fields about money and its invoice). */
export function chargeObject(c: ChargeFields) {
  return {
    id: c.stripeChargeId,
    amount: centsToDollars(c.amountCents),
    amount_cents: c.amountCents,
    amount_refunded_cents: c.amountRefundedCents,
    currency: c.currency ?? null,
    status: c.status,
    paid: c.paid,
    refunded: c.refunded,
    invoice: c.stripeInvoiceId ?? null,
    created: c.createdAt.toISOString(),
  };
}

/** An entitlement's terms as clients read them (domain/entitlements.ts), snake_case. */
export function entitlementObject(e: Entitlement) {
  switch (e.kind) {
    case 'boolean':
      return { feature: e.feature, kind: e.kind };
    case 'limit':
      return { feature: e.feature, kind: e.kind, limit: e.limit };
    case 'metered':
      return {
        feature: e.feature,
        kind: e.kind,
        usage_type: e.usageType,
        limit: e.amount,
        per: e.per,
        overage: e.overage,
      };
  }
}
