import type { EntityManager } from '@mikro-orm/core';
import { Plan } from '../../db/entities';
import { SERVICES } from '../../domain/plan-catalog';
import { planEntitlements } from '../../domain/entitlements';
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
  return (await listCurrentPlans(em)).filter((p) => termsIn(p, currency)).map((p) => pricedIn(p, currency));
}

/** Current, active versions of every plan, cheapest first. */
export function listCurrentPlans(em: EntityManager): Promise<Plan[]> {
  return em.find(Plan, { isCurrent: true, status: 'active' }, { orderBy: { sortOrder: 'asc', code: 'asc' } });
}

export function findCurrentPlan(em: EntityManager, code: string): Promise<Plan | null> {
  return em.findOne(Plan, { code, isCurrent: true });
}

/**
 * A plan version priced in `currency`, or in its own when it is not sold in that one: the terms a client
 * is shown, its entitlements and the currencies it is sold in.
 */
export function pricedIn(p: Plan, currency = p.currency) {
  const shown = termsIn(p, currency) ? currency : p.currency;
  return {
    plan: p,
    currency: shown,
    terms: termsIn(p, shown) ?? p,
    entitlements: planEntitlements({ ...p, dailyApiCalls: p.dailyApiCalls ?? null }),
    currencies: offeredCurrencies(p),
  };
}

export type PricedPlan = ReturnType<typeof pricedIn>;

export function serviceList() {
  return Object.entries(SERVICES).map(([id, name]) => ({ id, name }));
}
