import type Stripe from 'stripe';
import { planItem } from './plan-item';
import { expandableId } from './expandable-id';
import { tieredAmountCents } from '../../domain/seats';
import type { InvoiceSnapshot, SubscriptionSnapshot } from '../../domain/stripe-snapshots';

const iso = (seconds: number | null | undefined) => (seconds ? new Date(seconds * 1000).toISOString() : null);

export function subscriptionSnapshot(sub: Stripe.Subscription): SubscriptionSnapshot {
  const item = planItem(sub);
  const customerId = expandableId(sub.customer);
  return {
    stripeSubscriptionId: sub.id,
    stripeCustomerId: customerId,
    status: sub.status,
    pausedCollection: Boolean(sub.pause_collection),
    priceId: item?.price.id ?? null,
    itemId: item?.id ?? null,
    usageItemId:
      sub.items.data.find((i) => i !== item && i.price.recurring?.usage_type === 'metered')?.id ?? null,
    amountCents: item ? itemAmountCents(item) : 0,
    quantity: item?.quantity ?? 1,
    interval: item?.price.recurring?.interval === 'year' ? 'year' : 'month',
    currentPeriodStart: iso(item?.current_period_start),
    currentPeriodEnd: iso(item?.current_period_end),
    trialEnd: iso(sub.trial_end),
    cancelAtPeriodEnd: sub.cancel_at_period_end,
    canceledAt: iso(sub.canceled_at),
    hasPaymentMethod: Boolean(sub.default_payment_method),
    paymentMethodId: expandableId(sub.default_payment_method),
    discount: discountOf(sub),
  };
}

/**
 * What the plan item recurs at: its unit price times its quantity, or on a tiered price (seat tiers) what
 * the tiers make of the quantity; null when Stripe sent a tiered price without its tiers (not expanded),
 * which leaves the mirror's amount as it was.
 */
function itemAmountCents(item: Stripe.SubscriptionItem): number | null {
  const quantity = item.quantity ?? 1;
  const { price } = item;
  if (price.billing_scheme !== 'tiered') return (price.unit_amount ?? 0) * quantity;
  if (!price.tiers) return null;
  const table = price.tiers.map((t) => ({ upTo: t.up_to, unitCents: t.unit_amount ?? 0 }));
  return tieredAmountCents(table, price.tiers_mode === 'volume' ? 'volume' : 'graduated', quantity);
}

/**
 * The subscription's first discount: null when it has none, undefined when Stripe sent only its id (an
 * answer read without `expand: ['discounts']`), which leaves the mirror's as it was.
 */
function discountOf(sub: Stripe.Subscription): SubscriptionSnapshot['discount'] {
  const list = sub.discounts ?? [];
  if (list.length === 0) return null;
  const d = list.find((x): x is Stripe.Discount => typeof x === 'object' && x !== null);
  if (!d) return undefined;
  const coupon = d.source?.coupon;
  const couponId = typeof coupon === 'string' ? coupon : coupon?.id;
  if (!couponId) return null;
  return {
    stripeCouponId: couponId,
    stripePromotionCodeId: expandableId(d.promotion_code) ?? null,
    start: iso(d.start) as string,
    end: iso(d.end),
  };
}

export function subscriptionIdOfInvoice(inv: Stripe.Invoice): string | null {
  const sub = inv.parent?.subscription_details?.subscription;
  if (!sub) return null;
  return expandableId(sub);
}

export function invoiceSnapshot(inv: Stripe.Invoice): InvoiceSnapshot {
  return {
    stripeInvoiceId: inv.id as string,
    stripeSubscriptionId: subscriptionIdOfInvoice(inv),
    status: inv.status ?? 'draft',
    amountDueCents: inv.amount_due,
    amountPaidCents: inv.amount_paid,
    hostedInvoiceUrl: inv.hosted_invoice_url ?? null,
    attemptCount: inv.attempt_count,
  };
}
