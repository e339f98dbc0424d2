import { EntitySchema, type Opt } from '@mikro-orm/core';
import type { Entitlement } from '../../domain/entitlements';
import type { RateLine } from '../../domain/rate-card';
import type { CurrencyPrice } from '../../domain/currency/plan-terms';
import type { TrialWithoutCard } from '../../domain/trial';
import type { BillingAnchor } from '../../domain/billing-anchor';
import type { SeatTiers } from '../../domain/seats';

/**
 * One version of a plan. A change to a plan that has subscribers creates a new version (grandfathering);
 * `isCurrent` marks the version new subscribers get.
 */
export class Plan {
  id!: string;
  code!: string;
  version: Opt<number> = 1;
  isCurrent: Opt<boolean> = true;
  status: Opt<'active' | 'archived'> = 'active';
  name!: string;
  displayName!: string;
  description?: string | null;
  currency: Opt<string> = 'usd';
  priceMonthlyCents!: number;
  priceYearlyCents?: number | null;
  trialDays: Opt<number> = 0;
  /** Its trials start without a card, and what their end does without one (domain/trial.ts); null: a card first. */
  trialWithoutCard?: TrialWithoutCard | null;
  /** When its subscribers' periods turn over unless they choose otherwise at checkout (domain/billing-anchor.ts). */
  billingAnchor: Opt<BillingAnchor> = 'anniversary';
  /** Priced per seat from this many seats (domain/seats.ts); null: not priced per seat. */
  seatMin?: number | null;
  /** The most seats a subscriber may hold; null: the engine's ceiling. */
  seatMax?: number | null;
  /** Volume discounts on the per-seat price (domain/seats.ts); null: every seat at the price. */
  seatTiers?: SeatTiers | null;
  /** Units each seat draws a month before the account's pool (domain/credit-usage.ts SeatPool); 0: none. */
  seatCredits: Opt<number> = 0;
  services: Opt<string[]> = [];
  features: Opt<string[]> = [];
  includedCredits: Opt<number> = 0;
  overagePer1kCents: Opt<number> = 0;
  dailyApiCalls?: number | null;
  /** Whether a subscriber may pause it themselves (Stripe pauses collection; access stops meanwhile). */
  pausable: Opt<boolean> = false;
  sortOrder: Opt<number> = 0;
  /** Usage beyond the included credits must be prepaid: at a zero balance it is refused, never billed. */
  prepaidOnly: Opt<boolean> = false;
  /** Default alert thresholds of its subscribers (domain/credit-alerts.ts), each overridable per customer. */
  alertDefaults: Opt<{ includedPercent?: number; balanceBelow?: number; overageCents?: number }> = {};
  /**
   * Entitlements beyond those its services, daily cap and included credits give (domain/entitlements.ts
   * planEntitlements); one naming the same feature replaces the derived one.
   */
  entitlements: Opt<Entitlement[]> = [];
  /** Usage prices beyond the pool of its included credits and overage price (domain/rate-card.ts). */
  rateCard: Opt<RateLine[]> = [];
  /**
   * Its prices in currencies beside `currency`, each with its own Stripe prices (domain/currency/plan-terms.ts): the
   * same terms, other amounts. A subscription is billed and rated in one of them for its whole life.
   */
  currencyPrices: Opt<Record<string, CurrencyPrice>> = {};
  stripeProductId?: string | null;
  stripePriceMonthlyId?: string | null;
  stripePriceYearlyId?: string | null;
  /** Metered prices that bill usage beyond the included credits, one per billing cycle. */
  stripeUsagePriceMonthlyId?: string | null;
  stripeUsagePriceYearlyId?: string | null;
  createdAt: Opt<Date> = new Date();
  updatedAt: Opt<Date> = new Date();
}

export const PlanSchema = new EntitySchema<Plan>({
  class: Plan,
  tableName: 'plans',
  uniques: [{ properties: ['code', 'version'] }],
  properties: {
    id: { type: 'string', primary: true, length: 40 },
    code: { type: 'string', index: true },
    version: { type: 'integer' },
    isCurrent: { type: 'boolean' },
    status: { type: 'string', length: 16 },
    name: { type: 'string' },
    displayName: { type: 'string' },
    description: { type: 'text', nullable: true },
    currency: { type: 'string', length: 3 },
    priceMonthlyCents: { type: 'integer' },
    priceYearlyCents: { type: 'integer', nullable: true },
    trialDays: { type: 'integer' },
    trialWithoutCard: { type: 'string', length: 16, nullable: true },
    billingAnchor: { type: 'string', length: 16, default: 'anniversary' },
    seatMin: { type: 'integer', nullable: true },
    seatMax: { type: 'integer', nullable: true },
    seatTiers: { type: 'json', nullable: true },
    seatCredits: { type: 'integer', default: 0 },
    services: { type: 'json' },
    features: { type: 'json' },
    includedCredits: { type: 'integer' },
    overagePer1kCents: { type: 'integer' },
    dailyApiCalls: { type: 'integer', nullable: true },
    pausable: { type: 'boolean', default: false },
    sortOrder: { type: 'integer' },
    prepaidOnly: { type: 'boolean', default: false },
    alertDefaults: { type: 'json', default: '{}' },
    entitlements: { type: 'json', default: '[]' },
    rateCard: { type: 'json', default: '[]' },
    currencyPrices: { type: 'json', default: '{}' },
    stripeProductId: { type: 'string', nullable: true },
    stripePriceMonthlyId: { type: 'string', nullable: true },
    stripePriceYearlyId: { type: 'string', nullable: true },
    stripeUsagePriceMonthlyId: { type: 'string', nullable: true },
    stripeUsagePriceYearlyId: { type: 'string', nullable: true },
    createdAt: { type: 'Date' },
    updatedAt: { type: 'Date', onUpdate: () => new Date() },
  },
});
