import fc from 'fast-check';
import {
  creditBalance,
  drawCredits,
  drawOrder,
  expireCredits,
  remainingByGrant,
  type CreditGrant,
  type CreditMovement,
  type GrantSource,
} from '../../domain/credit-ledger';

const day = (n: number) => new Date(Date.UTC(2026, 10, 1 + n));
const grant = (id: string, amount: number, more: Partial<CreditGrant> = {}): CreditGrant => ({
  id,
  amount,
  source: 'purchase',
  priority: 0,
  effectiveAt: day(0),
  expiresAt: null,
  createdAt: day(0),
  ...more,
});

describe('credit ledger: the order credits are drawn in', () => {
  it.each([
    [
      'included credits before a purchase of higher priority',
      grant('z', 5, { source: 'included', priority: 9 }),
      grant('b', 5, { priority: 0 }),
    ],
    ['the lower priority number first', grant('z', 5, { priority: 1 }), grant('b', 5, { priority: 2 })],
    [
      'the soonest expiry first',
      grant('z', 5, { expiresAt: day(3), createdAt: day(-1) }),
      grant('b', 5, { expiresAt: day(9), createdAt: day(-2) }),
    ],
    [
      'an expiring grant before one that never expires',
      grant('z', 5, { expiresAt: day(30), createdAt: day(-1) }),
      grant('b', 5, { createdAt: day(-2) }),
    ],
    ['the oldest first', grant('z', 5, { createdAt: day(-2) }), grant('b', 5, { createdAt: day(-1) })],
    ['by id when all else is equal', grant('a', 5), grant('b', 5)],
  ])('draws %s (each pair ordered against the tie-breakers after it)', (_what, first, second) => {
    expect(drawOrder(first, second)).toBeLessThan(0);
    expect(drawOrder(second, first)).toBeGreaterThan(0);
    const { draws } = drawCredits([second, first], [], 7, day(1));
    expect(draws.map((d) => [d.grantId, d.amount])).toEqual([
      [first.id, 5],
      [second.id, 2],
    ]);
  });

  it.each([
    ['not yet effective', grant('a', 5, { effectiveAt: day(2) })],
    ['expired', grant('a', 5, { expiresAt: day(1) })],
    ['used up', grant('a', 5)],
  ])('skips a grant that is %s, leaving the units uncovered', (what, g) => {
    const used: CreditMovement[] =
      what === 'used up' ? [{ grantId: 'a', kind: 'draw', amount: 5, at: day(0) }] : [];
    expect(drawCredits([g], used, 3, day(1))).toEqual({ draws: [], uncovered: 3 });
  });

  it('expires what is left on a grant whose expiry has come, once', () => {
    const g = grant('a', 10, { expiresAt: day(5) });
    const drawn: CreditMovement[] = [{ grantId: 'a', kind: 'draw', amount: 4, at: day(1) }];
    expect(expireCredits([g], drawn, day(4))).toEqual([]);
    const expiry = expireCredits([g], drawn, day(5));
    expect(expiry).toEqual([{ grantId: 'a', kind: 'expiry', amount: 6, at: day(5) }]);
    expect(expireCredits([g], [...drawn, ...expiry], day(6))).toEqual([]);
  });

  it.each([-1, 1.5, Number.NaN, 2 ** 53])('refuses to draw %p units', (units) => {
    expect(() => drawCredits([grant('a', 5)], [], units, day(1))).toThrow(RangeError);
  });
});

const SOURCES: GrantSource[] = ['included', 'purchase', 'promotion', 'admin', 'refund'];
const arbGrants = fc
  .array(
    fc.record({
      amount: fc.integer({ min: 1, max: 1_000 }),
      source: fc.constantFrom(...SOURCES),
      priority: fc.integer({ min: 0, max: 3 }),
      effective: fc.integer({ min: 0, max: 10 }),
      life: fc.option(fc.integer({ min: 1, max: 20 }), { nil: null }),
      created: fc.integer({ min: -10, max: 10 }),
    }),
    { maxLength: 8 },
  )
  .map((rows) =>
    rows.map((r, i) =>
      grant(`g${i}`, r.amount, {
        source: r.source,
        priority: r.priority,
        effectiveAt: day(r.effective),
        expiresAt: r.life === null ? null : day(r.effective + r.life),
        createdAt: day(r.created),
      }),
    ),
  );
const arbSteps = fc.array(
  fc.record({ at: fc.integer({ min: 0, max: 30 }), units: fc.integer({ min: 0, max: 1_500 }) }),
  { maxLength: 12 },
);

describe('credit ledger: money invariants against a model', () => {
  it('never draws a grant below zero, draws exactly what the balance covers, and the balance is the ledger', () => {
    fc.assert(
      fc.property(arbGrants, arbSteps, (grants, steps) => {
        const ledger: CreditMovement[] = [];
        for (const step of [...steps].sort((a, b) => a.at - b.at)) {
          const at = day(step.at);
          ledger.push(...expireCredits(grants, ledger, at));
          const before = creditBalance(grants, ledger, at);
          const { draws, uncovered } = drawCredits(grants, ledger, step.units, at);
          const drawn = draws.reduce((s, d) => s + d.amount, 0);
          // What was drawn plus what was not covered is what was asked; nothing more than the balance.
          expect(drawn + uncovered).toBe(step.units);
          expect(drawn).toBe(Math.min(step.units, before));
          ledger.push(...draws);
          expect(creditBalance(grants, ledger, at)).toBe(before - drawn);
          // A grant is drawn only while every grant ahead of it in the order is empty.
          const left = remainingByGrant(grants, ledger);
          const live = grants.filter(
            (g) => g.effectiveAt <= at && (g.expiresAt === null || at < g.expiresAt),
          );
          for (const d of draws.slice(0, -1)) expect(left.get(d.grantId)).toBe(0);
          if (uncovered > 0) for (const g of live) expect(left.get(g.id)).toBe(0);
        }
        // Per grant: granted = left + everything moved out, and nothing goes below zero.
        const left = remainingByGrant(grants, ledger);
        for (const g of grants) {
          const out = ledger.filter((m) => m.grantId === g.id).reduce((s, m) => s + m.amount, 0);
          expect(left.get(g.id)).toBe(g.amount - out);
          expect(left.get(g.id)).toBeGreaterThanOrEqual(0);
        }
        // The model: the balance is the sum of live grants less their movements, recomputed by hand.
        const end = day(40);
        const model = grants
          .filter((g) => g.expiresAt === null && g.effectiveAt <= end)
          .reduce(
            (s, g) =>
              s + g.amount - ledger.filter((m) => m.grantId === g.id).reduce((t, m) => t + m.amount, 0),
            0,
          );
        expect(creditBalance(grants, ledger, end)).toBe(model);
      }),
      { numRuns: 300 },
    );
  });
});
