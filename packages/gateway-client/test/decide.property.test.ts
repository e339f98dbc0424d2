import fc from 'fast-check';
import { checkDto } from '../../../api/routes/entitlements/dto';
import { checkEntitlement, type Entitlement } from '../../../domain/entitlements';
import { SUBSCRIPTION_STATUSES, type SubscriptionStatus } from '../../../domain/subscription-status';
import { entitlementObject } from '../../../integrations/webhooks/objects';
import { DecisionTable, type SnapshotClaims } from '../src/decide';
import { trimToBudget } from '../../../domain/subject-budgets';
import { drawUsage, type UsageAccount } from '../../../domain/credit-usage';
import { budgetClaims, seatCreditsClaims } from './claims';

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

  it("refuses a subject past its budget as the engine's report does, counting its own usage of the subject", () => {
    fc.assert(
      fc.property(
        fc.record({
          limit: fc.integer({ min: 1, max: 1000 }),
          used: fc.nat(1200),
          own: fc.nat(300),
          otherSubject: fc.nat(300),
          quantity: fc.integer({ min: 1, max: 400 }),
          // Often the quantity that just fits what is left, or one either side of it.
          nearFit: fc.option(fc.integer({ min: -1, max: 1 }), { freq: 2 }),
          accountAllows: fc.boolean(),
          asks: fc.constantFrom('proj', 'other', undefined),
        }),
        (c) => {
          if (c.nearFit !== null) c.quantity = Math.max(1, c.limit - c.used - c.own + c.nearFit);
          const claims = budgetClaims(c.limit, c.used);
          if (!c.accountAllows) claims.status = 'canceled';
          if (!c.accountAllows) claims.entitlements = [];
          const table = new DecisionTable(claims);
          const unincluded = {
            total: c.own + c.otherSubject,
            byType: new Map([['inference', c.own + c.otherSubject]]),
            bySubject: new Map([
              ['proj', c.own],
              ['other', c.otherSubject],
            ]),
          };
          const d = table.decide('api_calls', c.quantity, 0, unincluded, c.asks);
          // The engine's report takes the event back out when the subject's window would pass its limit.
          const engineRefuses = trimToBudget(c.used + c.own, c.limit, [c.quantity]).out.length > 0;
          if (!c.accountAllows) expect(d.reason).toBe('subscription_canceled');
          else if (c.asks === 'proj' && engineRefuses)
            expect(d).toEqual({
              allowed: false,
              reason: 'budget_reached',
              limit: c.limit,
              remaining: Math.max(0, c.limit - c.used - c.own),
            });
          else expect(d).toMatchObject({ allowed: true, reason: 'ok' });
        },
      ),
      { numRuns: 2000 },
    );
  });
  it("lets a seat holder through a spent allowance as the engine's report would, and never more", () => {
    const subjects = ['ann', 'bob', 'cy'] as const;
    fc.assert(
      fc.property(
        fc.record({
          included: fc.nat(300),
          accountUsed: fc.nat(400),
          perSeat: fc.integer({ min: 1, max: 200 }),
          seats: fc.integer({ min: 1, max: 3 }),
          holders: fc.dictionary(fc.constantFrom(...subjects), fc.nat(250), { maxKeys: 3 }),
          // This gateway's own units since the snapshot, by subject.
          own: fc.dictionary(fc.constantFrom(...subjects), fc.integer({ min: 1, max: 100 }), { maxKeys: 2 }),
          asks: fc.constantFrom(...subjects, undefined),
          quantity: fc.integer({ min: 1, max: 400 }),
        }),
        (c) => {
          const holders = Object.fromEntries(Object.entries(c.holders).slice(0, c.seats));
          const claims = seatCreditsClaims(c.included, c.accountUsed, c.perSeat, c.seats, holders);
          const ownTotal = Object.values(c.own).reduce((a, b) => a + b, 0);
          const d = new DecisionTable(claims).decide(
            'credits',
            c.quantity,
            0,
            {
              total: ownTotal,
              byType: new Map([['inference', ownTotal]]),
              bySubject: new Map(Object.entries(c.own)),
            },
            c.asks,
          );
          // The engine: the snapshot's account, then this gateway's own events (refused ones dropped), then the ask.
          let account: UsageAccount = {
            includedLeft: Math.max(0, c.included - c.accountUsed),
            grants: [],
            movements: [],
            overageUnits: 0,
            overagePer1kCents: 0,
            cap: null,
            prepaidOnly: true,
            seatPool: { perSeat: c.perSeat, seats: c.seats, drawn: new Map(Object.entries(holders)) },
          };
          for (const [subject, units] of Object.entries(c.own)) {
            const drawn = drawUsage(account, units, NOW, subject);
            if (drawn.ok) account = drawn.after;
          }
          const engine = drawUsage(account, c.quantity, NOW, c.asks);
          // Never allowed here when the engine would refuse; with no own usage, exactly the engine's answer.
          if (d.allowed) expect(engine.ok).toBe(true);
          if (ownTotal === 0) expect(d.allowed).toBe(engine.ok);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
