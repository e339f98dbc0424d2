import type { Access, SubjectAccessDecision } from '../../../services/access/check-access';

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
export function accessDecisionDto(d: SubjectAccessDecision) {
  const answer = {
    allowed: d.allowed,
    reason: d.reason,
    tier: d.tier,
    remaining_today: d.remainingToday,
    resets_at: d.resetsAt?.toISOString() ?? null,
  };
  if (d.budget === undefined) return answer;
  const b = d.budget;
  return {
    ...answer,
    budget: b && {
      subject: b.subject,
      per: b.budget.per,
      limit_units: b.budget.limitUnits,
      used: b.used,
      remaining: b.remaining,
      resets_at: b.resetsAt.toISOString(),
    },
  };
}
