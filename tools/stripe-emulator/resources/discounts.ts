import type { Emulator } from '../emulator';
import { invalidParam, invalidRequest, missingParam } from '../errors';
import type { Params } from '../form';
import { newId } from '../ids';
import { paginate } from '../list';
import { mergeMetadata, optBool, optInt, optObject, optString, reqString, stringList } from '../params';
import type { Router } from '../router';
import { couponValid } from '../billing/discounts';
import type { CouponRec, CustomerRec, PromotionCodeRec } from '../types';

const CODE = /^[A-Za-z0-9_-]{1,500}$/;

function createCoupon(emu: Emulator, params: Params): CouponRec {
  const id = optString(params, 'id') || newId('', 8).replace(/^_/, '');
  if (emu.store.find(id)) throw invalidRequest('Coupon already exists.', 'id', 'resource_already_exists');
  const percentRaw = optString(params, 'percent_off');
  const percent = percentRaw === undefined ? null : Number(percentRaw);
  if (percent !== null && !(Number.isFinite(percent) && percent > 0 && percent <= 100))
    throw invalidParam('percent_off', 'Invalid percent_off: must be greater than 0 and at most 100.');
  const amountOff = optInt(params, 'amount_off') ?? null;
  const currency = optString(params, 'currency')?.toLowerCase() || null;
  const options: Record<string, { amount_off: number }> = {};
  for (const [cur, v] of Object.entries(optObject(params, 'currency_options') ?? {})) {
    const amount = optInt(v as Params, 'amount_off');
    if (amount === undefined || amount <= 0) throw invalidParam(`currency_options[${cur}][amount_off]`);
    options[cur.toLowerCase()] = { amount_off: amount };
  }
  if ((percent === null) === (amountOff === null))
    throw invalidRequest('You must pass either `percent_off` or `amount_off`.', 'percent_off');
  if (amountOff !== null && (amountOff <= 0 || !currency))
    throw invalidParam(
      amountOff <= 0 ? 'amount_off' : 'currency',
      'An amount_off coupon needs a positive amount and a currency.',
    );
  const duration = reqString(params, 'duration');
  if (!['once', 'repeating', 'forever'].includes(duration)) throw invalidParam('duration');
  const months = optInt(params, 'duration_in_months') ?? null;
  if (duration === 'repeating' && (months === null || months < 1)) throw missingParam('duration_in_months');
  const appliesTo = optObject(params, 'applies_to');
  const products = appliesTo ? stringList(appliesTo, 'products') : [];
  const coupon = emu.store.put<CouponRec>({
    id,
    object: 'coupon',
    amount_off: amountOff,
    currency,
    currency_options: Object.keys(options).length ? options : null,
    applies_to: products.length ? { products } : null,
    created: emu.realNow(),
    duration: duration as CouponRec['duration'],
    duration_in_months: duration === 'repeating' ? months : null,
    livemode: false,
    max_redemptions: optInt(params, 'max_redemptions') ?? null,
    metadata: mergeMetadata({}, params),
    name: optString(params, 'name') || null,
    percent_off: percent,
    redeem_by: optInt(params, 'redeem_by') ?? null,
    times_redeemed: 0,
    valid: true,
  });
  emu.emit('coupon.created', coupon);
  return coupon;
}

function createPromotionCode(emu: Emulator, params: Params): PromotionCodeRec {
  const promotion = optObject(params, 'promotion');
  if (!promotion) throw missingParam('promotion');
  if (reqString(promotion, 'type') !== 'coupon') throw invalidParam('promotion[type]');
  const coupon = emu.store.get<CouponRec>('coupon', reqString(promotion, 'coupon'), 'promotion[coupon]');
  const code = optString(params, 'code') || newId('', 8).replace(/^_/, '').toUpperCase();
  if (!CODE.test(code)) throw invalidParam('code');
  const taken = emu.store
    .all<PromotionCodeRec>('promotion_code')
    .some((p) => p.active && p.code.toUpperCase() === code.toUpperCase());
  if (taken) throw invalidRequest('An active promotion code with `code` already exists.', 'code');
  const customer = optString(params, 'customer') || null;
  if (customer) emu.store.get<CustomerRec>('customer', customer, 'customer');
  const r = optObject(params, 'restrictions') ?? {};
  const promo = emu.store.put<PromotionCodeRec>({
    id: newId('promo', 24),
    object: 'promotion_code',
    active: optBool(params, 'active') ?? true,
    code,
    created: emu.realNow(),
    customer,
    customer_account: null,
    expires_at: optInt(params, 'expires_at') ?? null,
    livemode: false,
    max_redemptions: optInt(params, 'max_redemptions') ?? null,
    metadata: mergeMetadata({}, params),
    promotion: { type: 'coupon', coupon: coupon.id },
    restrictions: {
      first_time_transaction: optBool(r, 'first_time_transaction') ?? false,
      minimum_amount: optInt(r, 'minimum_amount') ?? null,
      minimum_amount_currency: optString(r, 'minimum_amount_currency')?.toLowerCase() || null,
      currency_options: {},
    },
    times_redeemed: 0,
  });
  emu.emit('promotion_code.created', promo);
  return promo;
}

/** Coupons and promotion codes, with the redemption rules Stripe applies to them (billing/discounts.ts). */
export function registerDiscounts(router: Router, emu: Emulator): void {
  const coupon = (id: string | undefined) => {
    const c = emu.store.get<CouponRec>('coupon', id ?? '');
    c.valid = couponValid(c, emu.realNow());
    return c;
  };
  router.post('/v1/coupons', ({ params }) => emu.present(createCoupon(emu, params)));
  router.get('/v1/coupons/:id', ({ pathParams }) => emu.present(coupon(pathParams['id'])));
  router.post('/v1/coupons/:id', ({ pathParams, params }) => {
    const c = coupon(pathParams['id']);
    const name = optString(params, 'name');
    if (name !== undefined) c.name = name || null;
    if (params['metadata'] !== undefined) c.metadata = mergeMetadata(c.metadata, params);
    emu.emit('coupon.updated', c);
    return emu.present(c);
  });
  router.delete('/v1/coupons/:id', ({ pathParams }) => {
    const c = coupon(pathParams['id']);
    // Deleting stops new redemptions; discounts already made keep applying, as in Stripe.
    c.valid = false;
    emu.emit('coupon.deleted', c);
    return { id: c.id, object: 'coupon', deleted: true };
  });
  router.get('/v1/coupons', ({ params }) => {
    const page = paginate(
      emu.store.all<CouponRec>('coupon').filter((c) => c.valid),
      params,
      '/v1/coupons',
    );
    return { ...page, data: page.data.map((c) => emu.present(c)) };
  });

  router.post('/v1/promotion_codes', ({ params }) => emu.present(createPromotionCode(emu, params)));
  router.get('/v1/promotion_codes/:id', ({ pathParams }) =>
    emu.present(emu.store.get<PromotionCodeRec>('promotion_code', pathParams['id'] ?? '')),
  );
  router.post('/v1/promotion_codes/:id', ({ pathParams, params }) => {
    const p = emu.store.get<PromotionCodeRec>('promotion_code', pathParams['id'] ?? '');
    const active = optBool(params, 'active');
    if (active !== undefined) p.active = active;
    if (params['metadata'] !== undefined) p.metadata = mergeMetadata(p.metadata, params);
    emu.emit('promotion_code.updated', p);
    return emu.present(p);
  });
  router.get('/v1/promotion_codes', ({ params }) => {
    const code = optString(params, 'code');
    const couponId = optString(params, 'coupon');
    const active = optBool(params, 'active');
    const items = emu.store
      .all<PromotionCodeRec>('promotion_code')
      .filter(
        (p) =>
          (code === undefined || p.code.toUpperCase() === code.toUpperCase()) &&
          (couponId === undefined || p.promotion.coupon === couponId) &&
          (active === undefined || p.active === active),
      );
    const page = paginate(items, params, '/v1/promotion_codes');
    return { ...page, data: page.data.map((p) => emu.present(p)) };
  });
}
