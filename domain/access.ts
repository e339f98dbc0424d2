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
