import type { Identity } from '../../domain/identity';
import { planChangeTiming } from '../../domain/plan-change';
import { previewProration } from '../../domain/proration';
import { lineDiscounts } from '../../domain/coupons';
import { AppError } from '../../domain/errors';
import { promotionCodeFor } from '../coupons/coupons';
import { workflowIds } from '../../workflows/ids';
import { changePlan as changePlanUpdate } from '../../workflows/messages';
import type { CoreDeps } from '../deps';
import { callWorkflow } from '../temporal/gateway';
import { ownLiveSubscription, requireLive } from './live-subscription';
import { planChangeRequest, resolvePlanPrice, type PlanPrice } from './plan-price';
import type { Subscription } from '../../db/entities';

export interface PlanChangeAsk {
  tierId: string;
  billingCycle: 'monthly' | 'yearly';
  /** Default: upgrades now (prorated), downgrades at period end. */
  when?: 'now' | 'period_end';
  /** A promotion code typed with the change; it applies to a change made now. */
  promotionCode?: string | null;
}

async function target(deps: CoreDeps, identity: Identity, ask: PlanChangeAsk) {
  const sub = requireLive((await ownLiveSubscription(deps, identity)).sub);
  const price = await resolvePlanPrice(
    deps.orm.em.fork(),
    ask.tierId,
    ask.billingCycle,
    'tierId',
    sub.currency,
  );
  return { sub, price, when: planChangeTiming(sub, price, ask.when) };
}

/** What the change would cost now, as Stripe will prorate it; nothing is changed. */
export async function previewPlanChange(deps: CoreDeps, identity: Identity, ask: PlanChangeAsk) {
  const { sub, price, when } = await target(deps, identity, ask);
  return prorationPreview(sub, price, when);
}

/** The proration Stripe will invoice for moving `sub` onto `price` now, or nothing now at period end. */
export function prorationPreview(
  sub: Pick<
    Subscription,
    'amountCents' | 'interval' | 'currentPeriodStart' | 'currentPeriodEnd' | 'discount'
  >,
  price: PlanPrice,
  when: 'now' | 'period_end',
) {
  const p = previewProration({
    oldAmountCents: sub.amountCents,
    newAmountCents: price.amountCents,
    periodStartMs: sub.currentPeriodStart?.getTime() ?? Date.now(),
    periodEndMs: sub.currentPeriodEnd?.getTime() ?? Date.now(),
    atMs: Date.now(),
    intervalChanges: sub.interval !== price.interval,
  });
  // A change at period end charges nothing now: the renewal bills the new price.
  const now = when === 'now';
  // The subscription's discount takes its share of both lines, as Stripe discounts the proration invoice.
  const d = sub.discount;
  const live = d && (d.end === null || Date.now() < Date.parse(d.end)) && d.percentOffBp !== undefined;
  const terms = { percentOffBp: d?.percentOffBp ?? null, amountOffCents: d?.amountOffCents ?? null };
  const [creditOff, chargeOff] = live && now ? lineDiscounts(terms, [p.creditCents, p.chargeCents]) : [0, 0];
  const discountCents = (creditOff ?? 0) + (chargeOff ?? 0);
  return {
    when,
    tier: price.plan.code,
    creditCents: now ? p.creditCents : 0,
    chargeCents: now ? p.chargeCents : 0,
    discountCents,
    dueNowCents: now ? Math.max(0, p.netCents - discountCents) : 0,
    nextAmountCents: price.amountCents,
  };
}

/**
 * Moves the caller's subscription to another plan or cycle through its workflow, with a promotion code
 * when one is typed: checked as at checkout, for the new plan, and only for a change made now (a code
 * checked today could have lapsed by a scheduled change's day).
 */
export async function changePlan(deps: CoreDeps, identity: Identity, ask: PlanChangeAsk) {
  const { sub, price, when } = await target(deps, identity, ask);
  let promotionCodeId: string | null = null;
  if (ask.promotionCode) {
    if (when !== 'now')
      throw new AppError(
        'invalid',
        'promotion_code_needs_change_now',
        'A promotion code applies to a change made now; make the change now, or schedule it without the code',
        { field: 'promotionCode' },
      );
    const found = await promotionCodeFor(deps.orm.em.fork(), ask.promotionCode, {
      customerId: sub.customer.id,
      planCode: price.plan.code,
      currency: price.plan.currency,
      amountCents: price.amountCents,
      now: new Date(),
    });
    promotionCodeId = found.stripePromotionCodeId;
  }
  return callWorkflow(deps, () =>
    deps.temporal.workflow.getHandle(workflowIds.subscription(sub.id)).executeUpdate(changePlanUpdate, {
      args: [planChangeRequest(price, when, undefined, promotionCodeId)],
    }),
  );
}
