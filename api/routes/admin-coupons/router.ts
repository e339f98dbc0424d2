import { defineRoute } from '../../routing/define-route';
import {
  deleteCoupon,
  deleteSubscriptionCoupon,
  getCoupons,
  patchPromotionCode,
  postCoupon,
  postPromotionCode,
  putSubscriptionCoupon,
} from './handlers';
import { subscriptionResponse } from '../billing/schemas';
import {
  applyCouponBody,
  customerParams,
  couponListResponse,
  couponParams,
  couponResponse,
  createCouponBody,
  createPromotionCodeBody,
  promotionCodeParams,
  updatePromotionCodeBody,
} from './schemas';

const tags = ['admin', 'coupons'];

/** Coupons and the promotion codes customers type (docs/pricing.md); each change reaches Stripe by the catalog sync. */
export const adminCouponRoutes = [
  defineRoute({
    method: 'get',
    path: '/admin/billing/coupons',
    summary: 'Every coupon, newest first, with its promotion codes and how often each was redeemed',
    tags,
    access: 'admin',
    response: couponListResponse,
    handler: getCoupons,
  }),
  defineRoute({
    method: 'post',
    path: '/admin/billing/coupons',
    summary:
      'Offer a coupon (a percentage or an amount per currency, for once, some months or forever); audited',
    tags,
    access: 'admin',
    body: createCouponBody,
    status: 201,
    errors: { 400: 'plan_not_found, or terms that do not fit together', 409: 'coupon_exists' },
    response: couponResponse,
    handler: postCoupon,
  }),
  defineRoute({
    method: 'delete',
    path: '/admin/billing/coupons/:id',
    summary:
      'Archive a coupon and its codes: no new redemptions; discounts already given keep applying. Audited',
    tags,
    access: 'admin',
    params: couponParams,
    errors: { 404: 'No such coupon' },
    response: couponResponse,
    handler: deleteCoupon,
  }),
  defineRoute({
    method: 'post',
    path: '/admin/billing/promotion-codes',
    summary: 'A code customers type for a coupon, with its own conditions; audited',
    tags,
    access: 'admin',
    body: createPromotionCodeBody,
    status: 201,
    errors: { 404: 'No such coupon', 409: 'promotion_code_exists, coupon_inactive' },
    response: couponResponse,
    handler: postPromotionCode,
  }),
  defineRoute({
    method: 'patch',
    path: '/admin/billing/promotion-codes/:id',
    summary: 'Turn a promotion code off or on again; audited',
    tags,
    access: 'admin',
    params: promotionCodeParams,
    body: updatePromotionCodeBody,
    errors: { 404: 'No such promotion code', 409: 'coupon_inactive' },
    response: couponResponse,
    handler: patchPromotionCode,
  }),
  defineRoute({
    method: 'put',
    path: '/admin/billing/customers/:email/coupon',
    summary:
      "Put a coupon on a customer's live subscription (it replaces any other): Stripe discounts its invoices " +
      "from the next one. The coupon's conditions apply; audited",
    tags,
    access: 'admin',
    params: customerParams,
    body: applyCouponBody,
    fields: { couponId: 'body.coupon_id' },
    errors: {
      404: 'No customer, live subscription or coupon',
      409: 'coupon_inactive, coupon_expired, coupon_used_up, coupon_not_for_plan, coupon_not_for_currency',
    },
    response: subscriptionResponse,
    handler: putSubscriptionCoupon,
  }),
  defineRoute({
    method: 'delete',
    path: '/admin/billing/customers/:email/coupon',
    summary: "Take the coupon off a customer's live subscription: its next invoice is at full price. Audited",
    tags,
    access: 'admin',
    params: customerParams,
    errors: { 404: 'No customer or live subscription' },
    response: subscriptionResponse,
    handler: deleteSubscriptionCoupon,
  }),
];
