import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import { Plan } from './entities';
import { billsUsage, type RateLine } from '../domain/rate-card';
import { termsFor, termsIn, type CurrencyPrice } from '../domain/currency/plan-terms';
import type { BillingInterval } from '../domain/billing-cycle';
import { conflict } from '../domain/errors';
import { seatAmountCents, seatPlanChangeProblem, seatTermsOf } from '../domain/seats';
import { numOrNull, readJsonList, readJsonObject, sqlFor } from './raw-sql';

export interface PlanCyclePrices {
  /** Stripe's price for the plan itself; null until the catalog is synced. */
  priceId: string | null;
  /** The metered price that bills overage beside it; null when there is none (yet). */
  usagePriceId: string | null;
  /** Null when the plan has no price for this cycle, or is not sold in the currency. */
  amountCents: number | null;
  /**
   * Whether Stripe can bill this cycle as the plan says: its price exists and, when the plan bills
   * usage, so does the metered price (else that usage would never be invoiced).
   */
  synced: boolean;
}

/** A plan version's Stripe prices and amount for one billing interval, in one of its currencies. */
export function pricesFor(plan: Plan, interval: 'month' | 'year', currency = plan.currency): PlanCyclePrices {
  const yearly = interval === 'year';
  const terms = termsIn(plan, currency);
  const ids = currency === plan.currency ? plan : terms ? plan.currencyPrices[currency] : undefined;
  if (!terms || !ids) return { priceId: null, usagePriceId: null, amountCents: null, synced: false };
  const priceId = (yearly ? ids.stripePriceYearlyId : ids.stripePriceMonthlyId) ?? null;
  const usagePriceId = (yearly ? ids.stripeUsagePriceYearlyId : ids.stripeUsagePriceMonthlyId) ?? null;
  return {
    priceId,
    usagePriceId,
    amountCents: (yearly ? terms.priceYearlyCents : terms.priceMonthlyCents) ?? null,
    synced: priceId !== null && (!billsUsage(terms) || usagePriceId !== null),
  };
}

export interface PlanPrice {
  plan: Plan;
  priceId: string;
  /** The metered price billing overage for this cycle; null when the plan bills none. */
  usagePriceId: string | null;
  amountCents: number;
  interval: BillingInterval;
  /** The currency `amountCents` and both prices are in. */
  currency: string;
}

/**
 * The changePlan Update's arguments for moving a subscription onto `price` now or at period end. A
 * repeatable action (a migration) passes its own request id, so a second run changes nothing twice.
 */
export function planChangeRequest(
  price: PlanPrice,
  when: 'now' | 'period_end',
  requestId: string = randomUUID(),
  promotionCodeId: string | null = null,
) {
  return {
    ...(promotionCodeId ? { promotionCodeId } : {}),
    planCode: price.plan.code,
    planId: price.plan.id,
    priceId: price.priceId,
    usagePriceId: price.usagePriceId,
    amountCents: price.amountCents,
    interval: price.interval,
    when,
    requestId,
  };
}

/**
 * The plan's price for the seats the subscription holds: a plan priced per seat bills its price for each.
 * A change between a plan priced per seat and one that is not, or to a range the seats do not fit, is
 * refused (409, the reason's code, field `tierId`).
 */
export function priceForSeats(
  price: PlanPrice,
  sub: { seats: number; plan: Parameters<typeof seatTermsOf>[0] },
): PlanPrice {
  const to = seatTermsOf(price.plan);
  const problem = seatPlanChangeProblem(seatTermsOf(sub.plan), to, sub.seats);
  if (problem) throw conflict(problem.code, problem.message, { field: 'tierId', seats: sub.seats });
  return to ? { ...price, amountCents: seatAmountCents(price.amountCents, sub.seats, to.tiers) } : price;
}

/** The plan version a Stripe plan price belongs to, the interval it bills and its currency. */
export async function planOfPrice(
  em: EntityManager,
  priceId: string,
): Promise<{ plan: Plan; interval: 'month' | 'year'; currency: string } | null> {
  const plan = await em.findOne(Plan, {
    $or: [{ stripePriceMonthlyId: priceId }, { stripePriceYearlyId: priceId }],
  });
  if (plan)
    return {
      plan,
      interval: plan.stripePriceYearlyId === priceId ? 'year' : 'month',
      currency: plan.currency,
    };
  // A price in another currency lives in the plan's JSON: the text match narrows to a few rows (price ids
  // are Stripe's `price_…`, whose underscore LIKE reads as any character), and the lookup below decides.
  const rows = await sqlFor(em).rows<{ id: string }>(
    `select id from plans where cast(currency_prices as text) like :pattern`,
    { pattern: `%"${priceId.replace(/[^A-Za-z0-9_]/g, '')}"%` },
  );
  for (const { id } of rows) {
    const candidate = await em.findOne(Plan, id);
    if (!candidate) continue;
    for (const [currency, p] of Object.entries(candidate.currencyPrices)) {
      if (p.stripePriceMonthlyId === priceId) return { plan: candidate, interval: 'month', currency };
      if (p.stripePriceYearlyId === priceId) return { plan: candidate, interval: 'year', currency };
    }
  }
  return null;
}

/** What a subscription's record and its run need of the plan a price belongs to. */
export interface PlanOfPrice {
  planId: string;
  code: string;
  interval: 'month' | 'year';
  currency: string;
  services: string[];
  dailyApiCalls: number | null;
}

/**
 * `planOfPrice` as one prepared read of the columns a subscription's record and its run use, not an entity:
 * every sign-up asks it, from the intake and the worker. The same answer (a test holds them equal).
 */
export async function planBriefOfPrice(em: EntityManager, priceId: string): Promise<PlanOfPrice | null> {
  // PostgreSQL refuses NUL in text; no price holds one.
  if (priceId.includes('\u0000')) return null;
  const sql = sqlFor(em);
  const brief = (r: Record<string, unknown>, interval: 'month' | 'year', currency: string): PlanOfPrice => ({
    planId: String(r.id),
    code: String(r.code),
    interval,
    currency,
    services: readJsonList(r.services),
    dailyApiCalls: numOrNull(r.daily_api_calls),
  });
  const [own] = await sql.read<Record<string, unknown>>(
    `select id, code, currency, services, daily_api_calls, stripe_price_yearly_id from plans
      where stripe_price_monthly_id = ? or stripe_price_yearly_id = ? limit 1`,
    [priceId, priceId],
  );
  if (own) return brief(own, own.stripe_price_yearly_id === priceId ? 'year' : 'month', String(own.currency));
  const rows = await sql.read<Record<string, unknown>>(
    `select id, code, services, daily_api_calls, currency_prices from plans
      where cast(currency_prices as text) like ?`,
    [`%"${priceId.replace(/[^A-Za-z0-9_]/g, '')}"%`],
  );
  for (const r of rows)
    for (const [currency, p] of Object.entries(
      readJsonObject(r.currency_prices) as Record<string, CurrencyPrice>,
    )) {
      if (p.stripePriceMonthlyId === priceId) return brief(r, 'month', currency);
      if (p.stripePriceYearlyId === priceId) return brief(r, 'year', currency);
    }
  return null;
}

/**
 * A plan row's usage terms in a subscription's currency, from raw SQL columns (`overage_per1k_cents`,
 * `rate_card`, and the plan's `currency` and `currency_prices` selected as `plan_currency` and
 * `currency_prices`): what the hot path and the rollup rate with.
 */
export function rowUsageTermsIn(
  r: Record<string, unknown>,
  currency: string,
): { overagePer1kCents: number; rateCard: RateLine[] } {
  const own = {
    currency: (r.plan_currency as string | null) ?? currency,
    priceMonthlyCents: 0,
    overagePer1kCents: Number(r.overage_per1k_cents),
    rateCard: readJsonArray<RateLine>(r.rate_card),
    currencyPrices: readJsonRecord<CurrencyPrice>(r.currency_prices),
  };
  const t = termsFor(own, currency);
  return { overagePer1kCents: t.overagePer1kCents, rateCard: t.rateCard };
}

const parsed = (v: unknown): unknown => (typeof v === 'string' ? JSON.parse(v) : v);
const readJsonArray = <T>(v: unknown): T[] => (v == null ? [] : (parsed(v) as T[]));
const readJsonRecord = <T>(v: unknown): Record<string, T> =>
  v == null ? {} : (parsed(v) as Record<string, T>);
