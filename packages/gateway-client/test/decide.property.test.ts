import fc from 'fast-check';
import { checkDto } from '../../../api/routes/entitlements/dto';
import { checkEntitlement, type Entitlement } from '../../../domain/entitlements';
import { SUBSCRIPTION_STATUSES, type SubscriptionStatus } from '../../../domain/subscription-status';
import { entitlementObject } from '../../../integrations/webhooks/objects';
import { DecisionTable, type SnapshotClaims } from '../src/decide';

const NOW = new Date('2026-11-26T10:00:00.000Z');
const PERIOD_END = new Date('2026-12-10T00:00:00.000Z');
const TYPES = ['inference', 'embedding', 'tts'];

const amount = fc.option(fc.integer({ min: 0, max: 2000 }), { nil: null });
const entitlement = (feature: string): fc.Arbitrary<Entitlement> =>
  fc.oneof(
    fc.constant<Entitlement>({ feature, kind: 'boolean' }),
    amount.map((limit): Entitlement => ({ feature, kind: 'limit', limit })),
    fc
      .record({
        usageType: fc.constantFrom('*', ...TYPES),
        amount,
        per: fc.constantFrom('day' as const, 'period' as const),
        overage: fc.constantFrom('block' as const, 'bill' as const),
      })
      .map((m): Entitlement => ({ feature, kind: 'metered', ...m })),
  );

const scenario = fc.record({
  entitlements: fc
    .uniqueArray(fc.constantFrom('chat', 'api_calls', 'credits', 'seats', 'tokens', 'byok'), { maxLength: 6 })
    .chain((features) => fc.tuple(...features.map(entitlement))),
  status: fc.option(fc.constantFrom<SubscriptionStatus>(...SUBSCRIPTION_STATUSES), { nil: null }),
  used: fc.dictionary(
    fc.constantFrom('chat', 'api_calls', 'credits', 'seats', 'tokens', 'byok'),
    fc.nat(2500),
  ),
  ask: fc.constantFrom('chat', 'api_calls', 'credits', 'seats', 'tokens', 'byok', 'unknown'),
  quantity: fc.integer({ min: 1, max: 1500 }),
  inUse: fc.nat(2500),
  unincluded: fc.dictionary(fc.constantFrom(...TYPES), fc.nat(500)),
});

/** The snapshot's claims exactly as the engine lists them (GET /entitlements: one more unit each). */
function claimsOf(
  effective: Entitlement[],
  status: SubscriptionStatus | null,
  used: (e: Entitlement) => number,
) {
  const claims: SnapshotClaims = {
    tier: status ? 'some-plan' : null,
    status: status ?? 'none',
    entitlements: effective.map((e) => ({
      ...entitlementObject(e),
      ...checkDto(
        checkEntitlement(effective, e.feature, {
          status,
          quantity: 1,
          used: used(e),
          now: NOW,
          periodEnd: PERIOD_END,
        }),
      ),
    })) as SnapshotClaims['entitlements'],
  };
  return claims;
}

describe("the gateway client's local decision", () => {
  it("answers as the engine's own check, for every kind, status and quantity, with its own usage counted", () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const effective = s.status === null ? [] : (s.entitlements as Entitlement[]);
        const stored = (e: Entitlement) => (e.kind === 'metered' ? (s.used[e.feature] ?? 0) : 0);
        const table = new DecisionTable(claimsOf(effective, s.status, stored));
        const byType = new Map(Object.entries(s.unincluded));
        const total = [...byType.values()].reduce((a, b) => a + b, 0);
        const local = table.decide(s.ask, s.quantity, s.inUse, { total, byType });

        // The engine, had it stored the gateway's own usage too.
        const asked = effective.find((e) => e.feature === s.ask);
        const engineUsed = !asked
          ? 0
          : asked.kind === 'limit'
            ? s.inUse
            : asked.kind === 'metered'
              ? stored(asked) + (asked.usageType === '*' ? total : (byType.get(asked.usageType) ?? 0))
              : 0;
        const engine = checkEntitlement(effective, s.ask, {
          status: s.status,
          quantity: s.quantity,
          used: engineUsed,
          now: NOW,
          periodEnd: PERIOD_END,
        });
        expect(local).toEqual({
          allowed: engine.allowed,
          reason: engine.reason,
          limit: engine.limit,
          remaining: engine.remaining,
        });
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses everything with the subscription status when it grants no access, and no_subscription without one', () => {
    const effective: Entitlement[] = [{ feature: 'chat', kind: 'boolean' }];
    expect(new DecisionTable(claimsOf(effective, 'canceled', () => 0)).decide('chat', 1, 0)).toMatchObject({
      allowed: false,
      reason: 'subscription_canceled',
    });
    expect(new DecisionTable(claimsOf([], null, () => 0)).decide('chat', 1, 0)).toMatchObject({
      allowed: false,
      reason: 'no_subscription',
    });
  });
});
