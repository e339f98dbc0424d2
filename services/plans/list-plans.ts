import type { EntityManager } from '@mikro-orm/core';
import { Plan } from '../../db/entities';
import { centsToDollars } from '../../domain/money';
import { SERVICES } from '../../domain/plan-catalog';
import { planEntitlements } from '../../domain/entitlements';
import { entitlementObject } from '../../integrations/webhooks/objects';
import { rateCardView } from '../../domain/rate-card';
import { BASE_CURRENCY, parseCurrency } from '../../domain/currency/codes';
import { currencyForLanguages } from '../../domain/currency/locale';
import { offeredCurrencies, termsIn } from '../../domain/currency/plan-terms';
import { AppError } from '../../domain/errors';
import type { Identity } from '../../domain/identity';
import { findCustomerFor } from '../customers/find-customer';

/**
 * The currency a caller sees prices in: a customer's own once their first checkout fixed it (they can buy
 * in no other), else the one asked for, else the first their preferred languages name (most preferred
 * first, as the API reads `Accept-Language`) that some plan is sold in, else the base currency.
 */
export async function displayCurrency(
  em: EntityManager,
  caller: { identity: Identity | null; asked?: string; languages?: readonly string[] },
): Promise<string> {
  const customer = caller.identity ? await findCustomerFor(em, caller.identity) : null;
  if (customer?.currency) return customer.currency;
  if (caller.asked !== undefined) {
    const asked = parseCurrency(caller.asked);
    if (!asked)
      throw new AppError(
        'invalid',
        'currency_not_supported',
        `"${caller.asked}" is not a currency we price in`,
        {
          field: 'currency',
        },
      );
    return asked;
  }
  const offered = new Set((await listCurrentPlans(em)).flatMap(offeredCurrencies));
  return currencyForLanguages(caller.languages ?? [], [...offered]) ?? BASE_CURRENCY;
}

/** The current plans sold in `currency`, priced in it. */
export async function plansIn(em: EntityManager, currency: string) {
  return (await listCurrentPlans(em)).filter((p) => termsIn(p, currency)).map((p) => planDto(p, currency));
}

/** Current, active versions of every plan, cheapest first. */
export function listCurrentPlans(em: EntityManager): Promise<Plan[]> {
  return em.find(Plan, { isCurrent: true, status: 'active' }, { orderBy: { sortOrder: 'asc', code: 'asc' } });
}

export function findCurrentPlan(em: EntityManager, code: string): Promise<Plan | null> {
  return em.findOne(Plan, { code, isCurrent: true });
}

/**
 * A plan as clients read it, priced in `currency` (its own when it is not sold in that one): money in
 * dollars for clients that read dollars, beside integer cents.
 */
export function planDto(p: Plan, currency = p.currency) {
  const shown = termsIn(p, currency) ? currency : p.currency;
  const t = termsIn(p, shown) ?? p;
  return {
    id: p.code,
    name: p.name,
    display_name: p.displayName,
    description: p.description ?? null,
    version: p.version,
    status: p.status,
    currency: shown,
    price_monthly: centsToDollars(t.priceMonthlyCents),
    price_monthly_cents: t.priceMonthlyCents,
    price_yearly: t.priceYearlyCents == null ? null : centsToDollars(t.priceYearlyCents),
    price_yearly_cents: t.priceYearlyCents ?? null,
    trial_days: p.trialDays,
    features: p.features,
    services: p.services,
    included_credits: p.includedCredits,
    overage_price_per_1k: centsToDollars(t.overagePer1kCents),
    overage_price_per_1k_cents: t.overagePer1kCents,
    daily_api_calls: p.dailyApiCalls ?? null,
    pausable: p.pausable,
    prepaid_only: p.prepaidOnly,
    entitlements: planEntitlements({ ...p, dailyApiCalls: p.dailyApiCalls ?? null }).map(entitlementObject),
    rate_card: rateCardView(t.rateCard),
    currencies: offeredCurrencies(p),
    currency_prices: Object.fromEntries(
      Object.entries(p.currencyPrices).map(([c, x]) => [
        c,
        {
          price_monthly_cents: x.priceMonthlyCents,
          price_yearly_cents: x.priceYearlyCents,
          overage_price_per_1k_cents: x.overagePer1kCents,
          rate_card: rateCardView(x.rateCard),
        },
      ]),
    ),
  };
}

export function serviceList() {
  return Object.entries(SERVICES).map(([id, name]) => ({ id, name }));
}
