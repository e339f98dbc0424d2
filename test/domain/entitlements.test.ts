import fc from 'fast-check';
import { decideAccess } from '../../domain/access';
import {
  accessTermsOf,
  applyOverrides,
  checkEntitlement,
  entitlementChanges,
  entitlementRefusal,
  overrideRefusal,
  planEntitlements,
  type Entitlement,
  type EntitlementOverride,
} from '../../domain/entitlements';
import { PLAN_CATALOG, SERVICES } from '../../domain/plan-catalog';
import { SUBSCRIPTION_STATUSES } from '../../domain/subscription-status';

const now = new Date('2026-11-24T15:00:00Z');
const later = (ms: number) => new Date(now.getTime() + ms);
const starter = PLAN_CATALOG.find((p) => p.code === 'starter')!;
const starterSet = planEntitlements({ ...starter, prepaidOnly: false });
const ctx = { status: 'active' as const, quantity: 1, used: 0, now, periodEnd: later(86_400_000 * 10) };
const override = (o: Partial<EntitlementOverride> & { feature: string }): EntitlementOverride => ({
  expiresAt: null,
  createdAt: now,
  ...o,
});

describe("a plan's entitlements", () => {
  it('are its services, its daily call cap and its included credits', () => {
    expect(starterSet).toEqual([
      { feature: 'ops-center', kind: 'boolean' },
      { feature: 'chat', kind: 'boolean' },
      { feature: 'api', kind: 'boolean' },
      { feature: 'api_calls', kind: 'metered', usageType: '*', amount: 1000, per: 'day', overage: 'block' },
      { feature: 'credits', kind: 'metered', usageType: '*', amount: 100, per: 'period', overage: 'bill' },
    ]);
  });

  it('block past the included credits on a prepaid-only plan', () => {
    const set = planEntitlements({ ...starter, prepaidOnly: true });
    expect(set.find((e) => e.feature === 'credits')).toMatchObject({ overage: 'block' });
  });

  it('take an explicit entitlement over the derived one of the same feature, and add new ones', () => {
    const set = planEntitlements({
      ...starter,
      prepaidOnly: false,
      entitlements: [
        {
          feature: 'api_calls',
          kind: 'metered',
          usageType: 'inference',
          amount: 50,
          per: 'day',
          overage: 'bill',
        },
        { feature: 'seats', kind: 'limit', limit: 5 },
      ],
    });
    expect(set.filter((e) => e.feature === 'api_calls')).toEqual([
      {
        feature: 'api_calls',
        kind: 'metered',
        usageType: 'inference',
        amount: 50,
        per: 'day',
        overage: 'bill',
      },
    ]);
    expect(set.at(-1)).toEqual({ feature: 'seats', kind: 'limit', limit: 5 });
  });
});

describe('an explicit entitlement is refused, naming the field', () => {
  it.each<[string, Entitlement, string | null]>([
    ['a good limit', { feature: 'seats', kind: 'limit', limit: 5 }, null],
    ['an unlimited limit', { feature: 'seats', kind: 'limit', limit: null }, null],
    ['a feature with capitals', { feature: 'Seats', kind: 'boolean' }, 'feature'],
    ['a feature with a control character', { feature: 'se\u0000ats', kind: 'boolean' }, 'feature'],
    ['an over-long feature', { feature: 'a'.repeat(65), kind: 'boolean' }, 'feature'],
    ['a negative limit', { feature: 'seats', kind: 'limit', limit: -1 }, 'limit'],
    ['a fractional limit', { feature: 'seats', kind: 'limit', limit: 1.5 }, 'limit'],
    ['a huge limit', { feature: 'seats', kind: 'limit', limit: 1e15 }, 'limit'],
    ['NaN', { feature: 'seats', kind: 'limit', limit: NaN }, 'limit'],
    [
      'a bad usage type',
      { feature: 'x', kind: 'metered', usageType: 'a b', amount: 1, per: 'day', overage: 'block' },
      'usage_type',
    ],
    [
      'an unknown period',
      { feature: 'x', kind: 'metered', usageType: '*', amount: 1, per: 'week' as 'day', overage: 'block' },
      'per',
    ],
    [
      'an unknown overage',
      { feature: 'x', kind: 'metered', usageType: '*', amount: 1, per: 'day', overage: 'warn' as 'bill' },
      'overage',
    ],
    ['an unknown kind', { feature: 'x', kind: 'tier' } as unknown as Entitlement, 'kind'],
  ])('%s', (_name, e, field) => {
    expect(entitlementRefusal(e)?.field ?? null).toBe(field);
  });
});

describe("a customer's overrides", () => {
  it('grant a feature the plan lacks, for as long as they last', () => {
    const o = override({ feature: 'byok', grant: true, expiresAt: later(1000) });
    expect(applyOverrides(starterSet, [o], now).map((e) => e.feature)).toContain('byok');
    expect(applyOverrides(starterSet, [o], later(1000)).map((e) => e.feature)).not.toContain('byok');
  });

  it('take a feature away', () => {
    const set = applyOverrides(starterSet, [override({ feature: 'chat', grant: false })], now);
    expect(set.map((e) => e.feature)).not.toContain('chat');
  });

  it('raise an allowance, keeping its terms', () => {
    const set = applyOverrides(starterSet, [override({ feature: 'api_calls', amount: 5000 })], now);
    expect(set.find((e) => e.feature === 'api_calls')).toMatchObject({
      amount: 5000,
      per: 'day',
      overage: 'block',
    });
  });

  it('let the newest of two on one feature win, whatever order they come in', () => {
    const old = override({ feature: 'seats', limit: 3, createdAt: later(-2000) });
    const newer = override({ feature: 'seats', limit: 10, createdAt: later(-1000) });
    expect(applyOverrides(starterSet, [newer, old], now).find((e) => e.feature === 'seats')).toEqual({
      feature: 'seats',
      kind: 'limit',
      limit: 10,
    });
  });

  it.each([
    ['one of grant, limit and amount', { feature: 'seats' }, 'grant'],
    ['two at once', { feature: 'seats', grant: true, limit: 3 }, 'grant'],
    ['an amount for a feature that is not metered', { feature: 'chat', amount: 5 }, 'amount'],
    ['an amount for a feature the plan lacks', { feature: 'tokens', amount: 5 }, 'amount'],
    ['a negative limit', { feature: 'seats', limit: -3 }, 'limit'],
    ['an expiry in the past', { feature: 'seats', limit: 3, expiresAt: later(-1) }, 'expires_at'],
    ['a bad feature code', { feature: '../admin', grant: true }, 'feature'],
  ])('refuse %s', (_name, o, field) => {
    expect(overrideRefusal({ expiresAt: null, ...o }, starterSet, now)?.field).toBe(field);
  });
});

describe('checking one entitlement', () => {
  it.each([
    ['a feature that is on', 'chat', {}, { allowed: true, reason: 'ok', limit: null }],
    ['a feature the plan lacks', 'byok', {}, { allowed: false, reason: 'feature_not_in_plan' }],
    ['without a subscription', 'chat', { status: null }, { allowed: false, reason: 'no_subscription' }],
    [
      'while suspended',
      'chat',
      { status: 'suspended' },
      { allowed: false, reason: 'subscription_suspended' },
    ],
    ['a daily allowance with room', 'api_calls', { used: 998 }, { allowed: true, limit: 1000, remaining: 2 }],
    ['a daily allowance, the last unit', 'api_calls', { used: 999 }, { allowed: true, remaining: 1 }],
    [
      'a daily allowance used up',
      'api_calls',
      { used: 1000 },
      { allowed: false, reason: 'allowance_exhausted', remaining: 0 },
    ],
    [
      'more than is left of a daily allowance',
      'api_calls',
      { used: 990, quantity: 11 },
      { allowed: false, reason: 'allowance_exhausted', remaining: 10 },
    ],
    [
      'usage over the allowance never shows a negative remainder',
      'api_calls',
      { used: 5000 },
      { remaining: 0, used: 5000 },
    ],
    [
      'included credits used up on a plan billing overage',
      'credits',
      { used: 100 },
      { allowed: true, reason: 'overage_billed', remaining: 0 },
    ],
  ])('%s', (_name, feature, c, expected) => {
    expect(checkEntitlement(starterSet, feature, { ...ctx, ...c } as typeof ctx)).toMatchObject(expected);
  });

  it('says when a daily allowance resets (next UTC midnight) and a period one (period end)', () => {
    expect(checkEntitlement(starterSet, 'api_calls', ctx).resetsAt).toEqual(new Date('2026-11-25T00:00:00Z'));
    expect(checkEntitlement(starterSet, 'credits', ctx).resetsAt).toEqual(ctx.periodEnd);
  });

  it('refuses a limit the quantity would pass, and answers huge numbers without losing precision', () => {
    const set = applyOverrides(starterSet, [override({ feature: 'seats', limit: 1_000_000_000_000 })], now);
    expect(checkEntitlement(set, 'seats', { ...ctx, used: 999_999_999_999, quantity: 1 })).toMatchObject({
      allowed: true,
      remaining: 1,
    });
    expect(checkEntitlement(set, 'seats', { ...ctx, used: 999_999_999_999, quantity: 2 })).toMatchObject({
      allowed: false,
      reason: 'limit_exceeded',
    });
  });
});

describe('check-access computed from entitlements', () => {
  const services = [...Object.keys(SERVICES), 'unknown', 'admin', ''];

  it("is what the seeds' rules answer for every catalog plan, service, status and day's usage", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PLAN_CATALOG),
        fc.constantFrom(...services),
        fc.constantFrom(null, ...SUBSCRIPTION_STATUSES),
        fc.nat({ max: 20_000 }),
        (plan, service, status, used) => {
          const today = { used, resetsAt: new Date('2026-11-25T00:00:00Z') };
          const seeds = decideAccess(
            { status, planServices: plan.services, dailyApiCalls: plan.dailyApiCalls },
            plan.code,
            service,
            today,
          );
          const terms = accessTermsOf(planEntitlements({ ...plan, prepaidOnly: false }));
          expect(decideAccess({ status, ...terms }, plan.code, service, today)).toEqual(seeds);
          // The same answer from checking the entitlements themselves: the service, then the day's calls.
          const set = planEntitlements({ ...plan, prepaidOnly: false });
          const c = { status, quantity: 1, used, now, periodEnd: null };
          const feature = checkEntitlement(set, service, c);
          const calls = checkEntitlement(set, 'api_calls', c);
          const allowed = feature.allowed && calls.allowed;
          expect(allowed).toBe(seeds.allowed);
          if (seeds.remainingToday !== null) expect(calls.remaining).toBe(seeds.remainingToday);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('follows an override: a granted feature is allowed, a raised cap counts from the new amount', () => {
    const set = applyOverrides(
      starterSet,
      [override({ feature: 'byok', grant: true }), override({ feature: 'api_calls', amount: 2000 })],
      now,
    );
    const terms = accessTermsOf(set);
    const today = { used: 1500, resetsAt: new Date('2026-11-25T00:00:00Z') };
    expect(decideAccess({ status: 'active', ...terms }, 'starter', 'byok', today)).toMatchObject({
      allowed: true,
      remainingToday: 500,
    });
  });
});

describe('what a plan change does to a customer', () => {
  it('lists features gained and lost and allowances raised and lowered, unchanged ones left out', () => {
    const pro = PLAN_CATALOG.find((p) => p.code === 'professional')!;
    const ent = PLAN_CATALOG.find((p) => p.code === 'enterprise')!;
    const proSet = planEntitlements({ ...pro, prepaidOnly: false });
    const changes = entitlementChanges(proSet, planEntitlements({ ...ent, prepaidOnly: false }));
    expect(changes.map((c) => `${c.feature} ${c.change}`)).toEqual([
      'api_calls raised',
      'credits raised',
      'priority-support gained',
    ]);
    const down = entitlementChanges(proSet, starterSet);
    expect(down.map((c) => `${c.feature} ${c.change}`)).toEqual([
      'api_calls lowered',
      'byok lost',
      'credits lowered',
      'embeddings lost',
      'stt lost',
      'tts lost',
    ]);
  });

  it('calls a change of terms other than the amount a change', () => {
    const billed = planEntitlements({ ...starter, prepaidOnly: false });
    const blocked = planEntitlements({ ...starter, prepaidOnly: true });
    expect(entitlementChanges(billed, blocked)).toEqual([
      expect.objectContaining({ feature: 'credits', change: 'changed' }),
    ]);
  });
});
