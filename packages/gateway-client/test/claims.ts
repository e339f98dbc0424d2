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
