import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import type { Plan } from './entities';
import { billsUsage, type RateLine } from '../domain/rate-card';
import { termsFor, termsIn, type CurrencyPrice, type PricedPlan } from '../domain/currency/plan-terms';
import type { BillingInterval } from '../domain/billing-cycle';
import { conflict } from '../domain/errors';
import { seatAmountCents, seatPlanChangeProblem, seatTermsOf } from '../domain/seats';
import { numOrNull, readJsonList, sqlFor } from './raw-sql';

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

/** A plan version's terms and the Stripe prices that bill them: what its prices for a cycle are read from. */
export interface PlanPriceTerms extends PricedPlan {
  stripePriceMonthlyId?: string | null;
  stripePriceYearlyId?: string | null;
  stripeUsagePriceMonthlyId?: string | null;
  stripeUsagePriceYearlyId?: string | null;
}

/** A plan version's Stripe prices and amount for one billing interval, in one of its currencies. */
export function pricesFor(
  plan: PlanPriceTerms,
  interval: 'month' | 'year',
  currency = plan.currency,
): PlanCyclePrices {
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

/** What a subscription's record and its run need of the plan a price belongs to. */
export interface PlanOfPrice {
  planId: string;
  code: string;
  interval: 'month' | 'year';
  currency: string;
  services: string[];
  dailyApiCalls: number | null;
}

/** What a subscription's start needs of the plan version a price belongs to: its terms and Stripe prices. */
export interface PricedPlanRow extends PlanPriceTerms {
  id: string;
  code: string;
  trialDays: number;
}

/** The columns both reads of a price's plan take: one statement text each, prepared once per connection. */
const PLAN_OF_PRICE_COLUMNS = `id, code, currency, services, daily_api_calls, trial_days, price_monthly_cents,
  price_yearly_cents, overage_per1k_cents, rate_card, currency_prices, stripe_price_monthly_id,
  stripe_price_yearly_id, stripe_usage_price_monthly_id, stripe_usage_price_yearly_id`;

/**
 * The plan row a Stripe plan price belongs to, the interval it bills and its currency, in prepared reads of
 * plain rows: every sign-up asks, from the intake and the worker, where an entity read built, quoted and
 * planned its statement each time and made an entity of the row.
 */
async function planRowOfPrice(
  em: EntityManager,
  priceId: string,
): Promise<{ row: Record<string, unknown>; interval: 'month' | 'year'; currency: string } | null> {
  // PostgreSQL refuses NUL in text; no price holds one.
  if (priceId.includes('\u0000')) return null;
  const sql = sqlFor(em);
  const [own] = await sql.read<Record<string, unknown>>(
    `select ${PLAN_OF_PRICE_COLUMNS} from plans where stripe_price_monthly_id = ? or stripe_price_yearly_id = ? limit 1`,
    [priceId, priceId],
  );
  if (own)
    return {
      row: own,
      interval: own.stripe_price_yearly_id === priceId ? 'year' : 'month',
      currency: String(own.currency),
    };
  // A price in another currency lives in the plan's JSON: the text match narrows to a few rows (price ids
  // are Stripe's `price_…`, whose underscore LIKE reads as any character), and the lookup below decides.
  const rows = await sql.read<Record<string, unknown>>(
    `select ${PLAN_OF_PRICE_COLUMNS} from plans where cast(currency_prices as text) like ?`,
    [`%"${priceId.replace(/[^A-Za-z0-9_]/g, '')}"%`],
  );
  for (const row of rows)
    for (const [currency, p] of Object.entries(readJsonRecord<CurrencyPrice>(row.currency_prices))) {
      if (p.stripePriceMonthlyId === priceId) return { row, interval: 'month', currency };
      if (p.stripePriceYearlyId === priceId) return { row, interval: 'year', currency };
    }
  return null;
}

/** The plan a price belongs to, as a subscription's record and the run's plan code ask it. */
export async function planBriefOfPrice(em: EntityManager, priceId: string): Promise<PlanOfPrice | null> {
  const found = await planRowOfPrice(em, priceId);
  if (!found) return null;
  const { row, interval, currency } = found;
  return {
    planId: String(row.id),
    code: String(row.code),
    interval,
    currency,
    services: readJsonList(row.services),
    dailyApiCalls: numOrNull(row.daily_api_calls),
  };
}

/**
 * The plan version a price belongs to with its terms and Stripe prices (enough for `pricesFor` and
 * `termsFor`), the interval the price bills and its currency: what a Stripe-made subscription's start and a
 * run's usage price ask.
 */
export async function pricedPlanOfPrice(
  em: EntityManager,
  priceId: string,
): Promise<{ plan: PricedPlanRow; interval: 'month' | 'year'; currency: string } | null> {
  const found = await planRowOfPrice(em, priceId);
  if (!found) return null;
  const { row, interval, currency } = found;
  const text = (v: unknown) => (v == null ? null : String(v));
  return {
    plan: {
      id: String(row.id),
      code: String(row.code),
      trialDays: Number(row.trial_days),
      currency: String(row.currency),
      priceMonthlyCents: Number(row.price_monthly_cents),
      priceYearlyCents: numOrNull(row.price_yearly_cents),
      overagePer1kCents: Number(row.overage_per1k_cents),
      rateCard: readJsonArray<RateLine>(row.rate_card),
      currencyPrices: readJsonRecord<CurrencyPrice>(row.currency_prices),
      stripePriceMonthlyId: text(row.stripe_price_monthly_id),
      stripePriceYearlyId: text(row.stripe_price_yearly_id),
      stripeUsagePriceMonthlyId: text(row.stripe_usage_price_monthly_id),
      stripeUsagePriceYearlyId: text(row.stripe_usage_price_yearly_id),
    },
    interval,
    currency,
  };
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
