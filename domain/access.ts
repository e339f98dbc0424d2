import type { UsageRefusal } from './credit-usage';
import type { Identity } from './identity';
import { GATEWAY_ROLE } from './roles';
import { grantsAccess, type SubscriptionStatus } from './subscription-status';

/** What decides whether a customer may use a service, before today's usage is counted. */
export interface Entitlement {
  /** The status of the customer's subscription that has not ended; null when there is none. */
  status: SubscriptionStatus | null;
  /** The services its plan includes. */
  planServices: readonly string[];
  /** The plan's cap on API calls per UTC day; null for none. */
  dailyApiCalls: number | null;
}

export type AccessRefusal = 'no_subscription' | `subscription_${SubscriptionStatus}` | 'service_not_in_plan';

export type Eligibility =
  | { allowed: false; reason: AccessRefusal }
  /** Allowed as far as the plan goes; `dailyLimit` is what today's usage must stay under (null: no cap). */
  | { allowed: true; dailyLimit: number | null };

/**
 * Whether a customer may use `service`: only with a subscription in a state that grants access, and only a
 * service its plan includes. The first rule broken is the reason given. Within those, a plan with a daily
 * cap still needs today's usage counted (see withinDailyQuota).
 */
export function serviceEligibility(e: Entitlement, service: string): Eligibility {
  if (e.status === null) return { allowed: false, reason: 'no_subscription' };
  if (!grantsAccess(e.status)) return { allowed: false, reason: `subscription_${e.status}` };
  if (!e.planServices.includes(service)) return { allowed: false, reason: 'service_not_in_plan' };
  return { allowed: true, dailyLimit: e.dailyApiCalls };
}

/** A daily cap against today's usage: allowed while some of it remains (never less than none). */
export function withinDailyQuota(
  dailyLimit: number,
  usedToday: number,
): { allowed: boolean; reason: 'ok' | 'daily_quota_exhausted'; remaining: number } {
  const remaining = Math.max(0, dailyLimit - usedToday);
  return { allowed: remaining > 0, reason: remaining > 0 ? 'ok' : 'daily_quota_exhausted', remaining };
}

/** The customer a call names (check-access, a usage event): by email or identity-provider id, or neither. */
export interface AccountRef {
  email: string | null;
  userId: string | null;
}

/**
 * Whose account a call is about. A person reaches only their own (naming themself is allowed); the
 * gateway has no account of its own, so it names the customer, and only it may name another.
 */
export type NamedAccount = 'self' | 'customer' | 'unnamed' | 'not_yours';

export function accountNamed(
  caller: Pick<Identity, 'role' | 'email' | 'sub'>,
  ref: AccountRef,
): NamedAccount {
  const named = ref.email !== null || ref.userId !== null;
  if (caller.role === GATEWAY_ROLE) return named ? 'customer' : 'unnamed';
  const self =
    (ref.email === null || ref.email === caller.email) && (ref.userId === null || ref.userId === caller.sub);
  return self ? 'self' : 'not_yours';
}

/** Whether answering needs today's usage: only a service the plan allows under a daily cap does. */
export function needsTodaysUsage(e: Entitlement, service: string): boolean {
  const eligibility = serviceEligibility(e, service);
  return eligibility.allowed && eligibility.dailyLimit !== null;
}

export interface AccessDecision {
  allowed: boolean;
  reason: AccessRefusal | 'ok' | 'daily_quota_exhausted' | UsageRefusal | 'budget_reached';
  /** Null while the customer has no tier (no subscription). */
  tier: string | null;
  /** Null: no daily cap applies. */
  remainingToday: number | null;
  resetsAt: Date | null;
}

/** Services whose use is never counted against credits: usage on the customer's own provider key. */
const UNCOUNTED_SERVICES: readonly string[] = ['byok'];

/**
 * The check-access answer: allowed or not, and why (serviceEligibility's rule, then withinDailyQuota's,
 * then the credit ledger's: a reached blocking spend cap, or a prepaid-only balance at zero, refuses every
 * counted service until `credit.resetsAt`). `today` is the day's usage and when it resets, given when
 * needsTodaysUsage says so; `credit` is why the next unit would be refused, if it would.
 */
export function decideAccess(
  e: Entitlement,
  tier: string | null,
  service: string,
  today: { used: number; resetsAt: Date } | null,
  credit: { refusal: UsageRefusal; resetsAt: Date } | null = null,
): AccessDecision {
  // Answers are written out whole, not spread: this runs on every call the gateway makes.
  const eligibility = serviceEligibility(e, service);
  if (!eligibility.allowed)
    return { allowed: false, reason: eligibility.reason, tier, remainingToday: null, resetsAt: null };
  const quota =
    eligibility.dailyLimit !== null && today !== null
      ? withinDailyQuota(eligibility.dailyLimit, today.used)
      : null;
  const remainingToday = quota ? quota.remaining : null;
  const resetsAt = quota && today ? today.resetsAt : null;
  if (quota && !quota.allowed)
    return { allowed: false, reason: quota.reason, tier, remainingToday, resetsAt };
  if (credit && !UNCOUNTED_SERVICES.includes(service))
    return { allowed: false, reason: credit.refusal, tier, remainingToday, resetsAt: credit.resetsAt };
  return { allowed: true, reason: 'ok', tier, remainingToday, resetsAt };
}
