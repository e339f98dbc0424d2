import type { EntityManager } from '@mikro-orm/core';
import { Plan } from './entities';
import { billsUsage } from '../domain/rate-card';

export interface PlanCyclePrices {
  /** Stripe's price for the plan itself; null until the catalog is synced. */
  priceId: string | null;
  /** The metered price that bills overage beside it; null when there is none (yet). */
  usagePriceId: string | null;
  amountCents: number | null;
  /**
   * Whether Stripe can bill this cycle as the plan says: its price exists and, when the plan bills
   * usage, so does the metered price (else that usage would never be invoiced).
   */
  synced: boolean;
}

/** A plan version's Stripe prices and amount for one billing interval. */
export function pricesFor(plan: Plan, interval: 'month' | 'year'): PlanCyclePrices {
  const yearly = interval === 'year';
  const priceId = (yearly ? plan.stripePriceYearlyId : plan.stripePriceMonthlyId) ?? null;
  const usagePriceId = (yearly ? plan.stripeUsagePriceYearlyId : plan.stripeUsagePriceMonthlyId) ?? null;
  return {
    priceId,
    usagePriceId,
    amountCents: (yearly ? plan.priceYearlyCents : plan.priceMonthlyCents) ?? null,
    synced: priceId !== null && (!billsUsage(plan) || usagePriceId !== null),
  };
}

/** The plan version a Stripe plan price belongs to, and the interval it bills. */
export async function planOfPrice(
  em: EntityManager,
  priceId: string,
): Promise<{ plan: Plan; interval: 'month' | 'year' } | null> {
  const plan = await em.findOne(Plan, {
    $or: [{ stripePriceMonthlyId: priceId }, { stripePriceYearlyId: priceId }],
  });
  if (!plan) return null;
  return { plan, interval: plan.stripePriceYearlyId === priceId ? 'year' : 'month' };
}
