import type { EntityManager } from '@mikro-orm/core';
import { CouponRedemption, CouponRow, PromotionCodeRow } from '../entities';
import { newId } from '../ids';
import type { StoredDiscount } from '../../domain/subscription-state';

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
 * beside it (for the estimate and the proration preview), and its redemption recorded (written here).
 */
export async function settleSubscriptionDiscount(
  em: EntityManager,
  row: { id: string; customerId: string; currency: string; discount: StoredDiscount | null },
): Promise<StoredDiscount | null> {
  const d = row.discount;
  if (!d) return null;
  const coupon = await em.findOne(CouponRow, { id: d.couponId });
  const settled =
    coupon && (d.percentOffBp === undefined || d.recurring === undefined || d.name === undefined)
      ? {
          ...d,
          name: coupon.name,
          percentOffBp: coupon.percentOffBp ?? null,
          amountOffCents: coupon.amountOff?.[row.currency] ?? null,
          recurring: coupon.duration !== 'once',
        }
      : d;
  await recordRedemption(em, {
    couponId: d.couponId,
    stripePromotionCodeId: d.promotionCodeId,
    customerId: row.customerId,
    subscriptionId: row.id,
    at: new Date(d.start),
  });
  await em.flush();
  return settled;
}
