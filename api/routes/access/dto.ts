import type { AccessDecision } from '../../../domain/access';
import type { Access } from '../../../services/access/check-access';

/** What a subscription grants, as my-access and user-access answer it. */
export function accessDto(a: Access) {
  return {
    tier: a.tier,
    status: a.status,
    services: a.services,
    features: a.features,
    daily_api_calls: a.dailyApiCalls,
    current_period_end: a.subscription?.currentPeriodEnd?.toISOString() ?? null,
  };
}

/** The check-access answer. */
export function accessDecisionDto(d: AccessDecision) {
  return {
    allowed: d.allowed,
    reason: d.reason,
    tier: d.tier,
    remaining_today: d.remainingToday,
    resets_at: d.resetsAt?.toISOString() ?? null,
  };
}
