import type { EntityManager } from '@mikro-orm/core';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { countAudits, recordAudit } from '../../db/audit';
import { redemptionCounts } from '../../db/coupon-redemptions';
import {
  CouponRedemption,
  CouponRow,
  Invoice,
  Plan,
  PromotionCodeRow,
  Subscription,
} from '../../db/entities';
import { workflowIds } from '../../workflows/ids';
import { setDiscount } from '../../workflows/messages';
import { customerByEmailAnyCase } from '../admin-lists/subscription-detail';
import type { CoreDeps } from '../deps';
import { findLiveSubscription } from '../subscriptions/live-subscription';
import { callWorkflow } from '../temporal/gateway';
import { newId } from '../../db/ids';
import {
  couponRefusal,
  normalizeCode,
  promotionRefusal,
  type Coupon,
  type CouponDuration,
  type PromotionCode,
} from '../../domain/coupons';
import { AppError, conflict, notFound } from '../../domain/errors';
import type { Identity } from '../../domain/identity';
import { clockOf } from '../../domain/clock';

export interface CouponTerms {
  id: string;
  name: string;
  percentOffBp: number | null;
  amountOff: Record<string, number> | null;
  duration: CouponDuration;
  durationInMonths: number | null;
  plans: string[] | null;
  maxRedemptions: number | null;
  redeemBy: Date | null;
}

export interface PromotionCodeTerms {
  code: string;
  couponId: string;
  firstTimeOnly: boolean;
  minimumAmountCents: number | null;
  minimumCurrency: string | null;
  expiresAt: Date | null;
  maxRedemptions: number | null;
}

export const couponOf = (r: CouponRow): Coupon => ({
  id: r.id,
  name: r.name,
  percentOffBp: r.percentOffBp ?? null,
  amountOff: r.amountOff ?? null,
  duration: r.duration,
  durationInMonths: r.durationInMonths ?? null,
  plans: r.plans ?? null,
  maxRedemptions: r.maxRedemptions ?? null,
  redeemBy: r.redeemBy ?? null,
  active: r.active,
});

export const promotionCodeOf = (r: PromotionCodeRow): PromotionCode => ({
  id: r.id,
  code: r.code,
  couponId: r.couponId,
  firstTimeOnly: r.firstTimeOnly,
  minimumAmountCents: r.minimumAmountCents ?? null,
  minimumCurrency: r.minimumCurrency ?? null,
  expiresAt: r.expiresAt ?? null,
  maxRedemptions: r.maxRedemptions ?? null,
  active: r.active,
});

export interface CouponView {
  coupon: Coupon;
  stripeCouponId: string | null;
  redemptions: number;
  codes: (PromotionCode & { redemptions: number; stripePromotionCodeId: string | null })[];
  createdAt: Date;
}

/** Every coupon (or the one named), newest first, with its codes and how often each was redeemed. */
export async function listCoupons(em: EntityManager, only?: string): Promise<CouponView[]> {
  const coupons = await em.find(CouponRow, only ? { id: only } : {}, {
    orderBy: { createdAt: 'desc', id: 'asc' },
  });
  const codes = await em.find(
    PromotionCodeRow,
    { couponId: { $in: coupons.map((c) => c.id) } },
    { orderBy: { createdAt: 'asc' } },
  );
  const byCoupon = await redemptionCounts(
    em,
    'couponId',
    coupons.map((c) => c.id),
  );
  const byCode = await redemptionCounts(
    em,
    'promotionCodeId',
    codes.map((c) => c.id),
  );
  return coupons.map((c) => ({
    coupon: couponOf(c),
    stripeCouponId: c.stripeCouponId ?? null,
    redemptions: byCoupon.get(c.id) ?? 0,
    codes: codes
      .filter((p) => p.couponId === c.id)
      .map((p) => ({
        ...promotionCodeOf(p),
        redemptions: byCode.get(p.id) ?? 0,
        stripePromotionCodeId: p.stripePromotionCodeId ?? null,
      })),
    createdAt: c.createdAt,
  }));
}

export async function couponView(em: EntityManager, id: string): Promise<CouponView> {
  const [found] = await listCoupons(em, id);
  if (!found) throw notFound('coupon', id);
  return found;
}

async function flushUnique(
  em: EntityManager,
  what: 'coupon' | 'promotion_code',
  value: string,
): Promise<void> {
  try {
    await em.flush();
  } catch (err) {
    if (err instanceof UniqueConstraintViolationException)
      throw conflict(`${what}_exists`, `A ${what.replace('_', ' ')} "${value}" exists`, {
        field: what === 'coupon' ? 'id' : 'code',
      });
    throw err;
  }
}

/** A new coupon; audited. Its plans must exist. It reaches Stripe with the next catalog sync. */
export async function createCoupon(
  em: EntityManager,
  actor: Identity,
  terms: CouponTerms,
): Promise<CouponView> {
  for (const [i, code] of (terms.plans ?? []).entries()) {
    if ((await em.count(Plan, { code })) === 0)
      throw new AppError('invalid', 'plan_not_found', `No plan "${code}"`, { field: `plans.${i}` });
  }
  if (await em.findOne(CouponRow, { id: terms.id }))
    throw conflict('coupon_exists', `A coupon "${terms.id}" exists`, { field: 'id' });
  em.create(CouponRow, { ...terms, active: true });
  recordAudit(em, {
    actor,
    action: 'coupon.create',
    entityType: 'coupon',
    entityId: terms.id,
    before: null,
    after: terms,
  });
  await flushUnique(em, 'coupon', terms.id);
  return couponView(em, terms.id);
}

/** Stops a coupon and its codes from being redeemed again; discounts already given keep applying. Audited. */
export async function archiveCoupon(em: EntityManager, actor: Identity, id: string): Promise<CouponView> {
  const coupon = await em.findOne(CouponRow, { id });
  if (!coupon) throw notFound('coupon', id);
  if (coupon.active) {
    coupon.active = false;
    for (const p of await em.find(PromotionCodeRow, { couponId: id })) p.active = false;
    recordAudit(em, {
      actor,
      action: 'coupon.archive',
      entityType: 'coupon',
      entityId: id,
      before: { active: true },
      after: { active: false },
    });
    await em.flush();
  }
  return couponView(em, id);
}

/** A new promotion code of a live coupon; audited. */
export async function createPromotionCode(
  em: EntityManager,
  actor: Identity,
  terms: PromotionCodeTerms,
): Promise<CouponView> {
  const coupon = await em.findOne(CouponRow, { id: terms.couponId });
  if (!coupon) throw notFound('coupon', terms.couponId);
  if (!coupon.active) throw conflict('coupon_inactive', `The coupon ${coupon.id} is archived`);
  const code = normalizeCode(terms.code);
  if (await em.findOne(PromotionCodeRow, { code }))
    throw conflict('promotion_code_exists', `A promotion code "${code}" exists`, { field: 'code' });
  const id = newId('promo');
  em.create(PromotionCodeRow, { id, ...terms, code, active: true });
  recordAudit(em, {
    actor,
    action: 'promotion_code.create',
    entityType: 'promotion_code',
    entityId: id,
    before: null,
    after: { ...terms, code },
  });
  await flushUnique(em, 'promotion_code', code);
  return couponView(em, coupon.id);
}

/** Turns a promotion code off or on again (an archived coupon's codes stay off); audited. */
export async function setPromotionCodeActive(
  em: EntityManager,
  actor: Identity,
  id: string,
  active: boolean,
): Promise<CouponView> {
  const promo = await em.findOne(PromotionCodeRow, { id });
  if (!promo) throw notFound('promotion_code', id);
  const coupon = await em.findOneOrFail(CouponRow, { id: promo.couponId });
  if (active && !coupon.active) throw conflict('coupon_inactive', `The coupon ${coupon.id} is archived`);
  if (promo.active !== active) {
    recordAudit(em, {
      actor,
      action: 'promotion_code.update',
      entityType: 'promotion_code',
      entityId: id,
      before: { active: promo.active },
      after: { active },
    });
    promo.active = active;
    await em.flush();
  }
  return couponView(em, coupon.id);
}

/**
 * The promotion code a customer typed, checked for this checkout: the code's conditions, then its coupon's
 * (domain/coupons.ts). Refused with the reason's stable code and the field `promotion_code`; a code not
 * yet in Stripe is refused as unavailable for now.
 */
export async function promotionCodeFor(
  em: EntityManager,
  typed: string,
  ctx: { customerId: string | null; planCode: string; currency: string; amountCents: number; now: Date },
): Promise<{ promo: PromotionCode; coupon: Coupon; stripePromotionCodeId: string }> {
  const field = { field: 'promotionCode' };
  const row = await em.findOne(PromotionCodeRow, { code: normalizeCode(typed) });
  if (!row)
    throw new AppError(
      'invalid',
      'promotion_code_unknown',
      `No promotion code "${normalizeCode(typed).slice(0, 40)}"`,
      field,
    );
  const couponRow = await em.findOneOrFail(CouponRow, { id: row.couponId });
  const [codeRedemptions, couponRedemptions, paid] = await Promise.all([
    em.count(CouponRedemption, { promotionCodeId: row.id }),
    em.count(CouponRedemption, { couponId: row.couponId }),
    ctx.customerId
      ? em.count(Invoice, { customer: ctx.customerId, status: 'paid', totalCents: { $gt: 0 } })
      : 0,
  ]);
  const promo = promotionCodeOf(row);
  const coupon = couponOf(couponRow);
  const refusal = promotionRefusal(promo, coupon, {
    now: ctx.now,
    planCode: ctx.planCode,
    currency: ctx.currency,
    amountCents: ctx.amountCents,
    hasPaidBefore: paid > 0,
    codeRedemptions,
    couponRedemptions,
  });
  if (refusal) throw new AppError('invalid', refusal.code, refusal.message, field);
  if (!row.stripePromotionCodeId)
    throw new AppError(
      'unavailable',
      'promotion_code_not_synced',
      `The code ${promo.code} is not ready yet; try again in a minute`,
      field,
    );
  return { promo, coupon, stripePromotionCodeId: row.stripePromotionCodeId };
}

/** The audit log's actions of a subscription's coupon changes. */
const COUPON_CHANGES = ['subscription.coupon_applied', 'subscription.coupon_removed'] as const;

/**
 * An admin puts a coupon on a customer's live subscription, or takes it off (null), through its workflow:
 * Stripe discounts its invoices from the next one on. The coupon's own conditions apply (archived, expired,
 * used up, for other plans or currencies), the code's do not. Audited; answers the subscription as the
 * mirror has it afterwards.
 */
export async function setSubscriptionCoupon(
  deps: CoreDeps,
  actor: Identity,
  email: string,
  couponId: string | null,
): Promise<Subscription> {
  const em = deps.orm.em.fork();
  const sub = await findLiveSubscription(em, await customerByEmailAnyCase(em, email));
  if (!sub) throw notFound('subscription');
  if (couponId) {
    const row = await em.findOne(CouponRow, { id: couponId });
    if (!row) throw notFound('coupon', couponId);
    const refusal = couponRefusal(couponOf(row), {
      now: clockOf(deps).now(),
      planCode: sub.tier,
      currency: sub.currency,
      couponRedemptions: await em.count(CouponRedemption, { couponId }),
    });
    if (refusal) throw new AppError('conflict', refusal.code, refusal.message, { field: 'couponId' });
    if (!row.stripeCouponId)
      throw new AppError('unavailable', 'coupon_not_synced', `The coupon ${couponId} is not in Stripe yet`);
  }
  const before = sub.discount?.couponId ?? null;
  // One request per change asked of this subscription's state: a retry is the same workflow update (and
  // Stripe call). The changes made before it are part of the state: taking a coupon off, putting it back and
  // taking it off again is a third request, not the first one replayed with its old answer.
  const earlier = await countAudits(em, 'subscription', sub.id, COUPON_CHANGES);
  const requestId = `discount:${sub.id}:${earlier}:${before ?? 'none'}:${couponId ?? 'none'}`;
  await callWorkflow(deps, () =>
    deps.temporal.workflow
      .getHandle(workflowIds.subscription(sub.id))
      .executeUpdate(setDiscount, { args: [{ couponId, requestId }], updateId: requestId }),
  );
  recordAudit(em, {
    actor,
    action: couponId ? 'subscription.coupon_applied' : 'subscription.coupon_removed',
    entityType: 'subscription',
    entityId: sub.id,
    before: { coupon: before },
    after: { coupon: couponId },
  });
  await em.flush();
  return em.fork().findOneOrFail(Subscription, sub.id);
}
