import { EntitySchema, type Opt } from '@mikro-orm/core';
import type { CouponDuration } from '../../domain/coupons';

/** A discount an admin offers (domain/coupons.ts), synced to Stripe as a coupon with the same id. */
export class CouponRow {
  /** Lower-case letters, digits, - and _: Stripe's coupon id too. */
  id!: string;
  name!: string;
  /** Hundredths of a percent (2000 = 20 %); null for an amount off. */
  percentOffBp?: number | null;
  /** Cents off per currency; null for a percentage. */
  amountOff?: Record<string, number> | null;
  duration!: CouponDuration;
  durationInMonths?: number | null;
  /** Plan codes it applies to; null for every plan. */
  plans?: string[] | null;
  maxRedemptions?: number | null;
  redeemBy?: Date | null;
  active: Opt<boolean> = true;
  stripeCouponId?: string | null;
  createdAt: Opt<Date> = new Date();
  updatedAt: Opt<Date> = new Date();
}

export const CouponSchema = new EntitySchema<CouponRow>({
  class: CouponRow,
  tableName: 'coupons',
  properties: {
    id: { type: 'string', primary: true, length: 40 },
    name: { type: 'string', length: 200 },
    percentOffBp: { type: 'integer', nullable: true },
    amountOff: { type: 'json', nullable: true },
    duration: { type: 'string', length: 16 },
    durationInMonths: { type: 'integer', nullable: true },
    plans: { type: 'json', nullable: true },
    maxRedemptions: { type: 'integer', nullable: true },
    redeemBy: { type: 'Date', nullable: true },
    active: { type: 'boolean', default: true },
    stripeCouponId: { type: 'string', nullable: true },
    createdAt: { type: 'Date' },
    updatedAt: { type: 'Date', onUpdate: () => new Date() },
  },
});

/** A code customers type for a coupon, with its own conditions; synced to Stripe as a promotion code. */
export class PromotionCodeRow {
  id!: string;
  /** Upper-case, unique: codes are compared without case. */
  code!: string;
  couponId!: string;
  firstTimeOnly: Opt<boolean> = false;
  minimumAmountCents?: number | null;
  minimumCurrency?: string | null;
  expiresAt?: Date | null;
  maxRedemptions?: number | null;
  active: Opt<boolean> = true;
  stripePromotionCodeId?: string | null;
  createdAt: Opt<Date> = new Date();
}

export const PromotionCodeSchema = new EntitySchema<PromotionCodeRow>({
  class: PromotionCodeRow,
  tableName: 'promotion_codes',
  properties: {
    id: { type: 'string', primary: true, length: 40 },
    code: { type: 'string', length: 40, unique: true },
    couponId: { type: 'string', length: 40, index: true },
    firstTimeOnly: { type: 'boolean', default: false },
    minimumAmountCents: { type: 'integer', nullable: true },
    minimumCurrency: { type: 'string', length: 3, nullable: true },
    expiresAt: { type: 'Date', nullable: true },
    maxRedemptions: { type: 'integer', nullable: true },
    active: { type: 'boolean', default: true },
    stripePromotionCodeId: { type: 'string', nullable: true },
    createdAt: { type: 'Date' },
  },
});

/** A coupon on a subscription, recorded once when the mirror first sees Stripe's discount. */
export class CouponRedemption {
  id!: string;
  couponId!: string;
  promotionCodeId?: string | null;
  customerId!: string;
  subscriptionId!: string;
  redeemedAt!: Date;
}

export const CouponRedemptionSchema = new EntitySchema<CouponRedemption>({
  class: CouponRedemption,
  tableName: 'coupon_redemptions',
  uniques: [{ properties: ['subscriptionId', 'couponId'] }],
  indexes: [{ properties: ['couponId'] }, { properties: ['promotionCodeId'] }],
  properties: {
    id: { type: 'string', primary: true, length: 40 },
    couponId: { type: 'string', length: 40 },
    promotionCodeId: { type: 'string', length: 40, nullable: true },
    customerId: { type: 'string', length: 40 },
    subscriptionId: { type: 'string', length: 40 },
    redeemedAt: { type: 'Date' },
  },
});
