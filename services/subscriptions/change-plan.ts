import type { Identity } from '../../domain/identity';
import { planChangeTiming } from '../../domain/plan-change';
import { previewProration } from '../../domain/proration';
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
}

async function target(deps: CoreDeps, identity: Identity, ask: PlanChangeAsk) {
  const sub = requireLive((await ownLiveSubscription(deps, identity)).sub);
  const price = await resolvePlanPrice(deps.orm.em.fork(), ask.tierId, ask.billingCycle);
  return { sub, price, when: planChangeTiming(sub, price, ask.when) };
}

/** What the change would cost now, as Stripe will prorate it; nothing is changed. */
export async function previewPlanChange(deps: CoreDeps, identity: Identity, ask: PlanChangeAsk) {
  const { sub, price, when } = await target(deps, identity, ask);
  return prorationPreview(sub, price, when);
}

/** The proration Stripe will invoice for moving `sub` onto `price` now, or nothing now at period end. */
export function prorationPreview(
  sub: Pick<Subscription, 'amountCents' | 'interval' | 'currentPeriodStart' | 'currentPeriodEnd'>,
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
  return {
    when,
    tier: price.plan.code,
    creditCents: now ? p.creditCents : 0,
    chargeCents: now ? p.chargeCents : 0,
    dueNowCents: now ? Math.max(0, p.netCents) : 0,
    nextAmountCents: price.amountCents,
  };
}

/** Moves the caller's subscription to another plan or cycle through its workflow. */
export async function changePlan(deps: CoreDeps, identity: Identity, ask: PlanChangeAsk) {
  const { sub, price, when } = await target(deps, identity, ask);
  return callWorkflow(deps, () =>
    deps.temporal.workflow
      .getHandle(workflowIds.subscription(sub.id))
      .executeUpdate(changePlanUpdate, { args: [planChangeRequest(price, when)] }),
  );
}
