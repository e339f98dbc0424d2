import type { EntityManager } from '@mikro-orm/core';
import type Stripe from 'stripe';
import { CouponRow, Plan, PromotionCodeRow } from '../../db/entities';
import type { SyncStep } from './sync-step';

const isMissing = (err: unknown) =>
  typeof err === 'object' && err !== null && (err as { statusCode?: number }).statusCode === 404;

/**
 * A coupon as Stripe takes it: the same id, a percentage or an amount per currency, its duration, and for
 * a coupon of some plans only those plans' products (`applies_to`), so that Stripe too discounts only
 * their lines, whatever plan the subscription moves to.
 */
export function stripeCouponParams(c: CouponRow, productIds: string[] = []): Stripe.CouponCreateParams {
  const amounts = Object.entries(c.amountOff ?? {});
  const [first, ...others] = amounts;
  return {
    id: c.id,
    name: c.name,
    duration: c.duration,
    ...(c.duration === 'repeating' ? { duration_in_months: c.durationInMonths ?? 1 } : {}),
    ...(c.percentOffBp != null
      ? { percent_off: c.percentOffBp / 100 }
      : {
          amount_off: first?.[1],
          currency: first?.[0],
          ...(others.length
            ? {
                currency_options: Object.fromEntries(
                  others.map(([cur, cents]) => [cur, { amount_off: cents }]),
                ),
              }
            : {}),
        }),
    ...(c.maxRedemptions != null ? { max_redemptions: c.maxRedemptions } : {}),
    ...(c.redeemBy ? { redeem_by: Math.floor(c.redeemBy.getTime() / 1000) } : {}),
    ...(c.plans ? { applies_to: { products: productIds } } : {}),
    metadata: { engine_coupon: c.id },
  };
}

/** The Stripe products of these plan codes (every version of a code shares its product). */
async function productsOf(em: EntityManager, codes: string[]): Promise<string[]> {
  const plans = await em.find(Plan, { code: { $in: codes }, stripeProductId: { $ne: null } });
  return [...new Set(plans.map((p) => p.stripeProductId as string))].sort();
}

/**
 * Makes Stripe hold every live coupon and promotion code of the engine, found again by id and by code so
 * a second run changes nothing: a coupon is created with the engine's id (an archived one is deleted,
 * which stops new redemptions and keeps the discounts given), a promotion code is found by its code or
 * created, and turned off or on as the engine says. A coupon for some plans only carries their Stripe
 * products (run after the plans' sync, which makes them); Stripe takes `applies_to` only when a coupon is
 * made, so one made before the engine sent it applies to every product in Stripe, and the engine's plan
 * checks hold alone.
 */
export async function syncCoupons(
  stripe: Stripe,
  em: EntityManager,
  step: (s: SyncStep) => void,
  dryRun = false,
): Promise<void> {
  for (const c of await em.find(CouponRow, {}, { orderBy: { createdAt: 'asc' } })) {
    if (!c.active) {
      if (c.stripeCouponId) {
        step({ action: 'update', what: `coupon ${c.id} deleted (archived)` });
        if (!dryRun) {
          await stripe.coupons.del(c.stripeCouponId).catch((err: unknown) => {
            if (!isMissing(err)) throw err;
          });
          c.stripeCouponId = null;
        }
      }
      continue;
    }
    if (c.stripeCouponId) {
      step({ action: 'keep', what: `coupon ${c.id}` });
      continue;
    }
    const existing = await stripe.coupons.retrieve(c.id).catch((err: unknown) => {
      if (isMissing(err)) return null;
      throw err;
    });
    const products = c.plans ? await productsOf(em, c.plans) : [];
    if (!existing && c.plans && products.length === 0 && !dryRun) {
      // Without a product Stripe would discount every plan: wait until a sync has made the plans' products.
      step({ action: 'keep', what: `coupon ${c.id} (waits for its plans' Stripe products)` });
      continue;
    }
    step({ action: existing ? 'keep' : 'create', what: `coupon ${c.id}` });
    if (dryRun) continue;
    const coupon =
      existing ??
      (await stripe.coupons.create(stripeCouponParams(c, products), {
        idempotencyKey: `billing-engine:coupon:${c.id}`,
      }));
    c.stripeCouponId = coupon.id;
  }
  if (!dryRun) await em.flush();

  const coupons = new Map((await em.find(CouponRow, {})).map((c) => [c.id, c]));
  for (const p of await em.find(PromotionCodeRow, {}, { orderBy: { createdAt: 'asc' } })) {
    const coupon = coupons.get(p.couponId);
    if (!coupon?.stripeCouponId && !p.stripePromotionCodeId) continue;
    let stripeId = p.stripePromotionCodeId ?? null;
    if (!stripeId) {
      const found = (await stripe.promotionCodes.list({ code: p.code, limit: 10 })).data.find(
        (s) =>
          s.promotion.coupon === coupon?.stripeCouponId ||
          (typeof s.promotion.coupon === 'object' && s.promotion.coupon?.id === coupon?.stripeCouponId),
      );
      step({ action: found ? 'keep' : 'create', what: `promotion code ${p.code}` });
      if (dryRun) continue;
      const made =
        found ??
        (await stripe.promotionCodes.create(
          {
            promotion: { type: 'coupon', coupon: coupon?.stripeCouponId as string },
            code: p.code,
            active: p.active,
            ...(p.maxRedemptions != null ? { max_redemptions: p.maxRedemptions } : {}),
            ...(p.expiresAt ? { expires_at: Math.floor(p.expiresAt.getTime() / 1000) } : {}),
            restrictions: {
              first_time_transaction: p.firstTimeOnly,
              ...(p.minimumAmountCents != null
                ? {
                    minimum_amount: p.minimumAmountCents,
                    minimum_amount_currency: p.minimumCurrency ?? 'usd',
                  }
                : {}),
            },
            metadata: { engine_promotion_code: p.id },
          },
          { idempotencyKey: `billing-engine:promotion-code:${p.id}` },
        ));
      p.stripePromotionCodeId = made.id;
      stripeId = made.id;
      if (made.active === p.active) continue;
    }
    const current = await stripe.promotionCodes.retrieve(stripeId);
    if (current.active === p.active) {
      step({ action: 'keep', what: `promotion code ${p.code}` });
      continue;
    }
    step({ action: 'update', what: `promotion code ${p.code} ${p.active ? 'on' : 'off'}` });
    if (!dryRun) await stripe.promotionCodes.update(stripeId, { active: p.active });
  }
  if (!dryRun) await em.flush();
}
