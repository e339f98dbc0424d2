import type { EntityManager } from '@mikro-orm/core';
import { CouponRedemption, CouponRow, PromotionCodeRow, type Subscription } from '../entities';
import { newId } from '../ids';
import type { SubscriptionStatus } from '../../domain/subscription-status';
import type { SubscriptionSnapshot } from '../../domain/stripe-snapshots';

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
  if (snap.amountCents !== null) row.amountCents = snap.amountCents;
  if (snap.quantity !== undefined) row.seats = snap.quantity;
  row.interval = snap.interval;
  row.currentPeriodStart = dateIso(snap.currentPeriodStart);
  row.currentPeriodEnd = dateIso(snap.currentPeriodEnd);
  row.trialEnd = dateIso(snap.trialEnd);
  row.cancelAtPeriodEnd = snap.cancelAtPeriodEnd;
  // Stripe's own `paused` (not a pause of collection) is a trial that ended without a card.
  row.awaitingCard = snap.status === 'paused';
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
