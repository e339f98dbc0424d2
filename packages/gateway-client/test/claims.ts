import type { SnapshotClaims } from '../src/decide';

/** An active customer's snapshot with one entitlement: `api_calls`, `limit` a day, every type, blocking. */
export const apiCallsClaims = (limit: number, used: number): SnapshotClaims => ({
  tier: 'pro',
  status: 'active',
  entitlements: [
    {
      feature: 'api_calls',
      kind: 'metered',
      usage_type: '*',
      per: 'day',
      overage: 'block',
      allowed: used < limit,
      reason: used < limit ? 'ok' : 'allowance_exhausted',
      limit,
      used,
      remaining: Math.max(0, limit - used),
      resets_at: '2999-01-01T00:00:00.000Z',
    },
  ],
});

/**
 * An active customer whose account allows every call (`api_calls` unlimited) and whose subject `proj`
 * has a budget of `limit` units a day, `used` of them used.
 */
export const budgetClaims = (limit: number, used: number): SnapshotClaims => ({
  tier: 'pro',
  status: 'active',
  entitlements: [
    {
      feature: 'api_calls',
      kind: 'metered',
      usage_type: '*',
      per: 'day',
      overage: 'block',
      allowed: true,
      reason: 'ok',
      limit: null,
      used,
      remaining: null,
      resets_at: '2999-01-01T00:00:00.000Z',
    },
  ],
  budgets: [
    {
      subject: 'proj',
      per: 'day',
      limit,
      used,
      remaining: Math.max(0, limit - used),
      resets_at: '2999-01-01T00:00:00.000Z',
    },
  ],
});

/**
 * A prepaid-only customer: `included` credits a period, `used` of them by the account, and seats of
 * `perSeat` credits each, `seats` of them, held as `holders` says (subject → units used).
 */
export const seatCreditsClaims = (
  included: number,
  used: number,
  perSeat: number,
  seats: number,
  holders: Record<string, number>,
): SnapshotClaims => ({
  tier: 'team',
  status: 'active',
  entitlements: [
    {
      feature: 'credits',
      kind: 'metered',
      usage_type: '*',
      per: 'period',
      overage: 'block',
      allowed: used < included,
      reason: used < included ? 'ok' : 'allowance_exhausted',
      limit: included,
      used,
      remaining: Math.max(0, included - used),
      resets_at: '2999-01-01T00:00:00.000Z',
    },
  ],
  seat_credits: {
    feature: 'credits',
    per_seat: perSeat,
    seats,
    holders: Object.entries(holders).map(([subject, n]) => ({ subject, used: n })),
  },
});
