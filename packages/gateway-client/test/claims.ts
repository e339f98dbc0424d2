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
export const budgetClaims = (limit: number, used: number): SnapshotClaims => {
  const unlimited = apiCallsClaims(0, used);
  return {
    ...unlimited,
    entitlements: unlimited.entitlements.map((e) => ({
      ...e,
      allowed: true,
      reason: 'ok',
      limit: null,
      remaining: null,
    })),
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
  };
};

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
): SnapshotClaims => {
  const account = apiCallsClaims(included, used);
  return {
    ...account,
    tier: 'team',
    entitlements: account.entitlements.map((e) => ({ ...e, feature: 'credits', per: 'period' })),
    seat_credits: {
      feature: 'credits',
      per_seat: perSeat,
      seats,
      holders: Object.entries(holders).map(([subject, n]) => ({ subject, used: n })),
    },
  };
};
