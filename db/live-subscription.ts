import type { BillingAnchor } from '../domain/billing-anchor';
import type { EntityManager } from '@mikro-orm/core';
import { FINAL_STATUSES, type SubscriptionStatus } from '../domain/subscription-status';
import { numOrNull, readDate, sqlFor, sqlList } from './raw-sql';
import { rowUsageTermsIn } from './plan-prices';
import type { Entitlement } from '../domain/entitlements';
import type { RateLine } from '../domain/rate-card';
import type { Subscription } from './entities';

/**
 * The customer's live subscription and its plan's terms, in plain SQL with typed row mapping: access
 * checks and usage views read it on every request, so it skips the ORM as the usage hot path does.
 */

const maybeDate = (v: unknown): Date | null => (v == null ? null : readDate(v));

/** What a plan grants and charges, as access checks and usage views read it. */
export interface PlanTermsRow {
  id: string;
  code: string;
  services: string[];
  features: string[];
  dailyApiCalls: number | null;
  includedCredits: number;
  overagePer1kCents: number;
  /** Usage beyond included credits must be prepaid (refused at a zero balance, never billed). */
  prepaidOnly: boolean;
  alertDefaults: { includedPercent?: number; balanceBelow?: number; overageCents?: number };
  /** Its explicit entitlements (domain/entitlements.ts). */
  entitlements: Entitlement[];
  /** Its rate card's own lines (domain/rate-card.ts); the pool line comes from the fields above. */
  rateCard: RateLine[];
  /** Each seat's own credits a month, drawn before the account's (0: none). */
  seatCredits: number;
}

/** A customer's live subscription with its plan's terms. */
export interface LiveSubscriptionRow {
  id: string;
  tier: string;
  status: SubscriptionStatus;
  interval: 'month' | 'year';
  amountCents: number;
  currency: string;
  stripeSubscriptionId: string | null;
  currentPeriodStart: Date | null;
  currentPeriodEnd: Date | null;
  trialStart: Date | null;
  trialEnd: Date | null;
  cancelAtPeriodEnd: boolean;
  /** Its trial ended without a card: paused, without access, until one is added. */
  awaitingCard: boolean;
  /** Anniversary, or calendar: its periods turn over on the 1st. */
  billingAnchor: BillingAnchor;
  /** The units its price is billed for: the seats on a plan priced per seat, else 1. */
  seats: number;
  pendingTier: string | null;
  pendingInterval: 'month' | 'year' | null;
  pendingAmountCents: number | null;
  pendingEffectiveAt: Date | null;
  createdAt: Date;
  /** The discount Stripe applies to its invoices, as the mirror keeps it. */
  discount: Subscription['discount'];
  plan: PlanTermsRow;
}

/** A JSON column: PostgreSQL's driver parses it, SQLite hands back the text. */
const jsonList = (v: unknown): string[] =>
  typeof v === 'string' ? (JSON.parse(v) as string[]) : (v as string[]);

/** The columns of a live subscription (`s`) and its plan (`p`), as liveSubscriptionFrom maps them. */
export const LIVE_SUBSCRIPTION_COLUMNS = `s.id, s.tier, s.status, s.interval, s.amount_cents, s.currency, s.stripe_subscription_id,
            s.current_period_start, s.current_period_end, s.trial_start, s.trial_end, s.cancel_at_period_end, s.awaiting_card, s.billing_anchor, s.seats,
            s.pending_tier, s.pending_interval, s.pending_amount_cents, s.pending_effective_at, s.created_at, s.discount,
            p.id as plan_id, p.code as plan_code, p.services, p.features, p.daily_api_calls, p.included_credits,
            p.overage_per1k_cents, p.prepaid_only, p.alert_defaults, p.entitlements,
            p.rate_card, p.currency as plan_currency, p.currency_prices, p.seat_credits`;

/** The customer's current subscription: the newest of theirs that has not ended, as a statement's id. */
export const LIVE_SUBSCRIPTION_ID = (customerColumn: string) =>
  `(select s2.id from subscriptions s2 where s2.customer_id = ${customerColumn}
      and s2.status not in ${sqlList(FINAL_STATUSES)} order by s2.created_at desc limit 1)`;

/** The customer's current subscription (the newest that has not ended) and its plan, or null. */
export async function liveSubscriptionOf(
  em: EntityManager,
  customerId: string,
): Promise<LiveSubscriptionRow | null> {
  const [r] = await sqlFor(em).read<Record<string, unknown>>(
    `select ${LIVE_SUBSCRIPTION_COLUMNS}
       from subscriptions s join plans p on p.id = s.plan_id
      where s.customer_id = ? and s.status not in ${sqlList(FINAL_STATUSES)}
      order by s.created_at desc limit 1`,
    [customerId],
  );
  return r ? liveSubscriptionFrom(r) : null;
}

/** A row of LIVE_SUBSCRIPTION_COLUMNS. */
export function liveSubscriptionFrom(r: Record<string, unknown>): LiveSubscriptionRow {
  // Usage is priced in the subscription's currency, whichever the plan's own is.
  const usage = rowUsageTermsIn(r, r.currency as string);
  return {
    id: r.id as string,
    tier: r.tier as string,
    status: r.status as SubscriptionStatus,
    interval: r.interval as 'month' | 'year',
    amountCents: Number(r.amount_cents),
    currency: r.currency as string,
    stripeSubscriptionId: (r.stripe_subscription_id as string | null) ?? null,
    currentPeriodStart: maybeDate(r.current_period_start),
    currentPeriodEnd: maybeDate(r.current_period_end),
    trialStart: maybeDate(r.trial_start),
    trialEnd: maybeDate(r.trial_end),
    cancelAtPeriodEnd: Boolean(r.cancel_at_period_end),
    awaitingCard: Boolean(r.awaiting_card),
    billingAnchor: r.billing_anchor === 'calendar' ? 'calendar' : 'anniversary',
    seats: r.seats == null ? 1 : Number(r.seats),
    pendingTier: (r.pending_tier as string | null) ?? null,
    pendingInterval: (r.pending_interval as 'month' | 'year' | null) ?? null,
    pendingAmountCents: numOrNull(r.pending_amount_cents),
    pendingEffectiveAt: maybeDate(r.pending_effective_at),
    createdAt: readDate(r.created_at),
    discount: (typeof r.discount === 'string'
      ? JSON.parse(r.discount)
      : (r.discount ?? null)) as LiveSubscriptionRow['discount'],
    plan: {
      id: r.plan_id as string,
      code: r.plan_code as string,
      services: jsonList(r.services),
      features: jsonList(r.features),
      dailyApiCalls: numOrNull(r.daily_api_calls),
      includedCredits: Number(r.included_credits),
      overagePer1kCents: usage.overagePer1kCents,
      prepaidOnly: Boolean(r.prepaid_only),
      alertDefaults: (typeof r.alert_defaults === 'string'
        ? JSON.parse(r.alert_defaults)
        : (r.alert_defaults ?? {})) as PlanTermsRow['alertDefaults'],
      entitlements: (typeof r.entitlements === 'string'
        ? JSON.parse(r.entitlements)
        : (r.entitlements ?? [])) as Entitlement[],
      rateCard: usage.rateCard,
      seatCredits: r.seat_credits == null ? 0 : Number(r.seat_credits),
    },
  };
}
