import type { EntityManager } from '@mikro-orm/core';
import { Plan } from '../../db/entities';
import { centsToDollars } from '../../domain/money';
import { SERVICES } from '../../domain/plan-catalog';
import { planEntitlements } from '../../domain/entitlements';
import { entitlementObject } from '../../integrations/webhooks/objects';
import { rateCardView } from '../../domain/rate-card';

/** Current, active versions of every plan, cheapest first. */
export function listCurrentPlans(em: EntityManager): Promise<Plan[]> {
  return em.find(Plan, { isCurrent: true, status: 'active' }, { orderBy: { sortOrder: 'asc', code: 'asc' } });
}

export function findCurrentPlan(em: EntityManager, code: string): Promise<Plan | null> {
  return em.findOne(Plan, { code, isCurrent: true });
}

/** A plan as clients read it: money in dollars for clients that read dollars, beside integer cents. */
export function planDto(p: Plan) {
  return {
    id: p.code,
    name: p.name,
    display_name: p.displayName,
    description: p.description ?? null,
    version: p.version,
    status: p.status,
    currency: p.currency,
    price_monthly: centsToDollars(p.priceMonthlyCents),
    price_monthly_cents: p.priceMonthlyCents,
    price_yearly: p.priceYearlyCents == null ? null : centsToDollars(p.priceYearlyCents),
    price_yearly_cents: p.priceYearlyCents ?? null,
    trial_days: p.trialDays,
    features: p.features,
    services: p.services,
    included_credits: p.includedCredits,
    overage_price_per_1k: centsToDollars(p.overagePer1kCents),
    overage_price_per_1k_cents: p.overagePer1kCents,
    daily_api_calls: p.dailyApiCalls ?? null,
    pausable: p.pausable,
    entitlements: planEntitlements({ ...p, dailyApiCalls: p.dailyApiCalls ?? null }).map(entitlementObject),
    rate_card: rateCardView(p.rateCard),
  };
}

export function serviceList() {
  return Object.entries(SERVICES).map(([id, name]) => ({ id, name }));
}
