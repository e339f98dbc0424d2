import type { HandlerInput } from '../../routing/define-route';
import {
  archiveCoupon,
  createCoupon,
  createPromotionCode,
  listCoupons,
  setPromotionCodeActive,
  setSubscriptionCoupon,
} from '../../../services/coupons/coupons';
import { subscriptionDto } from '../billing/subscription-dto';
import { requestCatalogSync } from '../../../services/plans/sync-catalog';
import { couponDto } from './dto';
import type {
  applyCouponBody,
  customerParams,
  couponParams,
  createCouponBody,
  createPromotionCodeBody,
  promotionCodeParams,
  updatePromotionCodeBody,
} from './schemas';

type Admin<P, B = undefined> = HandlerInput<P, undefined, B, 'admin'>;

export const getCoupons = async ({ deps }: Admin<undefined>) => ({
  coupons: (await listCoupons(deps.orm.em.fork())).map(couponDto),
});

export async function postCoupon({ deps, identity, body }: Admin<undefined, typeof createCouponBody>) {
  const view = await createCoupon(deps.orm.em.fork(), identity, {
    id: body.id,
    name: body.name,
    percentOffBp: body.percent_off === undefined ? null : Math.round(body.percent_off * 100),
    amountOff: body.amount_off ?? null,
    duration: body.duration,
    durationInMonths: body.duration_in_months ?? null,
    plans: body.plans ?? null,
    maxRedemptions: body.max_redemptions ?? null,
    redeemBy: body.redeem_by ? new Date(body.redeem_by) : null,
  });
  // Stripe gets it with the catalog: the same workflow, so coupons and prices are synced one way.
  await requestCatalogSync(deps);
  return couponDto(view);
}

export async function deleteCoupon({ deps, identity, params }: Admin<typeof couponParams>) {
  const view = await archiveCoupon(deps.orm.em.fork(), identity, params.id);
  await requestCatalogSync(deps);
  return couponDto(view);
}

export async function postPromotionCode({
  deps,
  identity,
  body,
}: Admin<undefined, typeof createPromotionCodeBody>) {
  const view = await createPromotionCode(deps.orm.em.fork(), identity, {
    code: body.code,
    couponId: body.coupon_id,
    firstTimeOnly: body.first_time_only,
    minimumAmountCents: body.minimum_amount_cents ?? null,
    minimumCurrency: body.minimum_currency ?? null,
    expiresAt: body.expires_at ? new Date(body.expires_at) : null,
    maxRedemptions: body.max_redemptions ?? null,
  });
  await requestCatalogSync(deps);
  return couponDto(view);
}

export async function patchPromotionCode({
  deps,
  identity,
  params,
  body,
}: Admin<typeof promotionCodeParams, typeof updatePromotionCodeBody>) {
  const view = await setPromotionCodeActive(deps.orm.em.fork(), identity, params.id, body.active);
  await requestCatalogSync(deps);
  return couponDto(view);
}

export const putSubscriptionCoupon = async ({
  deps,
  identity,
  params,
  body,
}: Admin<typeof customerParams, typeof applyCouponBody>) =>
  subscriptionDto(await setSubscriptionCoupon(deps, identity, params.email, body.coupon_id));

export const deleteSubscriptionCoupon = async ({ deps, identity, params }: Admin<typeof customerParams>) =>
  subscriptionDto(await setSubscriptionCoupon(deps, identity, params.email, null));
