import type { Identity } from '../../domain/identity';
import { prorationPreview } from '../../domain/plan-change-proration';
import type { EntityManager } from '@mikro-orm/core';
import { planChangeCouponRefusal } from '../../domain/coupons';
import { AppError } from '../../domain/errors';
import { couponOf, promotionCodeFor } from '../coupons/coupons';
import { workflowIds } from '../../workflows/ids';
import { changePlan as changePlanUpdate } from '../../workflows/messages';
import type { CoreDeps } from '../deps';
import { clockOf } from '../../domain/clock';
import { callWorkflow } from '../temporal/gateway';
import { ownLiveSubscription, requireLive } from './live-subscription';
import { planChangeRequest, priceForSeats } from '../../db/plan-prices';
import { changeTiming, resolvePlanPrice } from './plan-price';
import { CouponRow, type Subscription } from '../../db/entities';

export interface PlanChangeAsk {
  tierId: string;
  billingCycle: 'monthly' | 'yearly';
  /** Default: upgrades now (prorated), downgrades at period end. */
  when?: 'now' | 'period_end';
  /** A promotion code typed with the change; it applies to a change made now. */
  promotionCode?: string | null;
}

/**
 * The plan change asked for, checked: the plan's price in the subscription's currency, when it applies,
 * the promotion code typed with it, and the subscription's own discount, which must be for the new plan
 * unless the code replaces it. The preview and the change check the same, so a preview never promises
 * what the change refuses.
 */
async function target(deps: CoreDeps, identity: Identity, ask: PlanChangeAsk) {
  const em = deps.orm.em.fork();
  const now = clockOf(deps).now();
  const sub = requireLive((await ownLiveSubscription(deps, identity)).sub);
  const price = priceForSeats(
    await resolvePlanPrice(em, ask.tierId, ask.billingCycle, 'tierId', sub.currency),
    sub,
  );
  const when = changeTiming(sub, price, ask.when);
  let code: Awaited<ReturnType<typeof promotionCodeFor>> | null = null;
  if (ask.promotionCode) {
    if (when !== 'now')
      throw new AppError(
        'invalid',
        'promotion_code_needs_change_now',
        'A promotion code applies to a change made now; make the change now, or schedule it without the code',
        { field: 'promotionCode' },
      );
    // Checked in the currency the subscription pays in (a code's minimum, an amount coupon's currencies),
    // not the plan's own: a euro customer's change is invoiced in euros.
    code = await promotionCodeFor(em, ask.promotionCode, {
      customerId: sub.customer.id,
      planCode: price.plan.code,
      currency: price.currency,
      amountCents: price.amountCents,
      now,
    });
  }
  await refuseCouponNotForPlan(em, sub, price.plan.code, when, now, code !== null);
  return { sub, price, when, code, now };
}

/**
 * Refuses (409 `coupon_not_for_plan`, field `tierId`) moving `sub` onto a plan its coupon is not for:
 * Stripe would keep the discount on the new plan (domain/coupons.ts planChangeCouponRefusal).
 */
export async function refuseCouponNotForPlan(
  em: EntityManager,
  sub: Pick<Subscription, 'discount' | 'currentPeriodEnd'>,
  planCode: string,
  when: 'now' | 'period_end',
  now: Date,
  replacedByCode = false,
): Promise<void> {
  const d = sub.discount;
  if (!d) return;
  const row = await em.findOne(CouponRow, { id: d.couponId });
  const refusal = planChangeCouponRefusal(
    { couponId: d.couponId, end: d.end ? new Date(d.end) : null },
    row ? couponOf(row) : null,
    { planCode, at: when === 'now' ? now : (sub.currentPeriodEnd ?? now), replacedByCode },
  );
  if (refusal)
    throw new AppError('conflict', refusal.code, refusal.message, {
      field: 'tierId',
      coupon_id: d.couponId,
    });
}

/**
 * What the change would cost now, as Stripe will prorate it; nothing is changed. With a promotion code,
 * its coupon takes the place of the subscription's discount, as it will in Stripe.
 */
export async function previewPlanChange(deps: CoreDeps, identity: Identity, ask: PlanChangeAsk) {
  const { sub, price, when, code, now } = await target(deps, identity, ask);
  return prorationPreview(sub, price, when, now, code?.coupon ?? null);
}

/**
 * Moves the caller's subscription to another plan or cycle through its workflow, with a promotion code
 * when one is typed: checked as at checkout, for the new plan, and only for a change made now (a code
 * checked today could have lapsed by a scheduled change's day). Refused onto a plan the subscription's
 * coupon is not for, unless a typed code replaces it.
 */
export async function changePlan(deps: CoreDeps, identity: Identity, ask: PlanChangeAsk) {
  const { sub, price, when, code } = await target(deps, identity, ask);
  return callWorkflow(deps, () =>
    deps.temporal.workflow.getHandle(workflowIds.subscription(sub.id)).executeUpdate(changePlanUpdate, {
      args: [planChangeRequest(price, when, undefined, code?.stripePromotionCodeId ?? null)],
    }),
  );
}
