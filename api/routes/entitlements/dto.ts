import type { EntitlementOverrideRow } from '../../../db/entities';
import type { SeatPool } from '../../../domain/credit-usage';
import { INCLUDED_CREDITS, type EntitlementCheck } from '../../../domain/entitlements';
import { entitlementObject } from '../../../integrations/webhooks/objects';
import type { CustomerEntitlements } from '../../../services/entitlements/customer-entitlements';
import type { budgetStandings } from '../../../services/budgets/budget-snapshot';

/** The answer to one entitlement check. */
export function checkDto(c: EntitlementCheck) {
  return {
    allowed: c.allowed,
    reason: c.reason,
    limit: c.limit,
    used: c.used,
    remaining: c.remaining,
    resets_at: c.resetsAt?.toISOString() ?? null,
  };
}

/** Every entitlement with its terms and where the customer stands on it. */
export function entitlementsDto(e: CustomerEntitlements) {
  return {
    tier: e.tier,
    status: e.status,
    entitlements: e.entitlements.map((s) => ({ ...entitlementObject(s.entitlement), ...checkDto(s.check) })),
  };
}

export function overrideDto(o: EntitlementOverrideRow, now: Date) {
  return {
    id: o.id,
    feature: o.feature,
    ...o.change,
    expires_at: o.expiresAt?.toISOString() ?? null,
    reason: o.reason,
    actor: o.actor,
    created_at: o.createdAt.toISOString(),
    removed_at: o.removedAt?.toISOString() ?? null,
    removed_by: o.removedBy ?? null,
    active: !o.removedAt && (!o.expiresAt || o.expiresAt.getTime() > now.getTime()),
  };
}

/** One budget inside the account as a snapshot carries it: the subject's limit, what it used and when it resets. */
export function budgetClaimDto(b: Awaited<ReturnType<typeof budgetStandings>>[number]) {
  return {
    subject: b.budget.subject,
    per: b.budget.per,
    limit: b.budget.limitUnits,
    used: b.used,
    remaining: b.remaining,
    resets_at: b.resetsAt.toISOString(),
  };
}

/**
 * The period's seat credits as a snapshot carries them: the feature they pay before (the included
 * credits), each seat's credits, the seats, and what each holder used; null without any.
 */
export function seatCreditsClaimDto(pool: SeatPool | null) {
  return (
    pool && {
      feature: INCLUDED_CREDITS,
      per_seat: pool.perSeat,
      seats: pool.seats,
      holders: [...pool.drawn].map(([subject, used]) => ({ subject, used })),
    }
  );
}
