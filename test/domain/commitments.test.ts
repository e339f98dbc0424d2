import fc from 'fast-check';
import {
  commitmentCovers,
  commitmentOwingFrom,
  commitmentTotals,
  monthlyMinimumCents,
  MAX_MINIMUM_CENTS,
  minimumProblem,
  periodConsumptionCents,
  trueUpCents,
  type BilledLine,
} from '../../domain/commitments';

const NOV = Date.UTC(2026, 10, 1) / 1000;
const DEC = Date.UTC(2026, 11, 1) / 1000;
const JAN = Date.UTC(2027, 0, 1) / 1000;
const line = (
  amountCents: number,
  periodStart: number,
  periodEnd: number,
  more: Partial<BilledLine> = {},
) => ({
  amountCents,
  discountCents: 0,
  periodStart,
  periodEnd,
  trueUp: false,
  ...more,
});

describe('minimum commitments', () => {
  it.each([
    [
      'the fee billed in advance and the usage billed at the end',
      [line(2000, NOV, DEC), line(1500, NOV, DEC)],
      3500,
    ],
    [
      'the next period’s fee on the renewal invoice left out',
      [line(1500, NOV, DEC), line(2000, DEC, JAN)],
      1500,
    ],
    ['an earlier period’s usage left out', [line(900, NOV - 30 * 86_400, NOV), line(2000, NOV, DEC)], 2000],
    ['a discount taken off its line', [line(2000, NOV, DEC, { discountCents: 500 })], 1500],
    [
      'a credit for unused time counted negative',
      [line(2000, NOV, DEC), line(-1000, NOV + 15 * 86_400, DEC)],
      1000,
    ],
    ['a proration inside the period counted', [line(2000, NOV, DEC), line(700, NOV + 86_400, DEC)], 2700],
    [
      'the engine’s own true-up line left out',
      [line(2000, NOV, DEC), line(8000, NOV, DEC, { trueUp: true })],
      2000,
    ],
  ])('counts towards November %s', (_why, lines, consumed) => {
    expect(periodConsumptionCents(lines, NOV, DEC)).toBe(consumed);
  });

  it.each([
    [10_000, 3_500, 6_500],
    [10_000, 10_000, 0],
    [10_000, 12_000, 0],
    [10_000, -2_000, 12_000],
  ])('with a minimum of %d and %d consumed, the true-up is %d', (minimum, consumed, owed) => {
    expect(trueUpCents(minimum, consumed)).toBe(owed);
  });

  it('bills at least the minimum for every period, and exactly the minimum when consumption falls short', () => {
    const lineArb = fc.record({
      amountCents: fc.integer({ min: -50_000, max: 200_000 }),
      discountCents: fc.integer({ min: 0, max: 10_000 }),
      periodStart: fc.integer({ min: NOV - 40 * 86_400, max: JAN }),
      length: fc.integer({ min: 0, max: 40 * 86_400 }),
      trueUp: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: MAX_MINIMUM_CENTS }),
        fc.array(lineArb, { maxLength: 30 }),
        (minimum, raw) => {
          const lines = raw.map((l) => ({ ...l, periodEnd: l.periodStart + l.length }));
          // The model: a line belongs to November when its whole service period lies inside it.
          const inside = lines.filter(
            (l) => !l.trueUp && l.periodStart >= NOV && l.periodStart + l.length <= DEC,
          );
          const consumed = inside.reduce((s, l) => s + l.amountCents - l.discountCents, 0);
          expect(periodConsumptionCents(lines, NOV, DEC)).toBe(consumed);
          const owed = trueUpCents(minimum, consumed);
          expect(Number.isSafeInteger(owed) && owed >= 0).toBe(true);
          expect(consumed + owed).toBe(Math.max(minimum, consumed));
        },
      ),
    );
  });

  it('covers the periods that start from its start until it was ended', () => {
    const c = { startsAt: new Date(NOV * 1000), endedAt: new Date(JAN * 1000) };
    expect(commitmentCovers(c, new Date((NOV - 1) * 1000))).toBe(false);
    expect(commitmentCovers(c, new Date(NOV * 1000))).toBe(true);
    expect(commitmentCovers(c, new Date(DEC * 1000))).toBe(true);
    expect(commitmentCovers(c, new Date(JAN * 1000))).toBe(false);
    expect(commitmentCovers({ ...c, endedAt: null }, new Date(JAN * 1000 * 2))).toBe(true);
  });

  it.each([
    ['a live one', NOV, null, DEC, true],
    ['one ended at the end of the period the new one starts', NOV, DEC, NOV, true],
    ['one ended at the new one’s start', NOV, DEC, DEC, false],
    ['one ended before it', NOV, DEC, JAN, false],
    ['one ended before it covered any period', DEC, DEC, NOV, false],
    ['one that starts after the new one and covers a period', DEC, JAN, NOV, true],
  ])('a new minimum from a period start finds %s owing: %s', (_what, starts, ended, from, owing) => {
    const c = { startsAt: new Date(starts * 1000), endedAt: ended === null ? null : new Date(ended * 1000) };
    expect(commitmentOwingFrom([c], new Date(from * 1000))).toBe(owing ? c : null);
  });

  it.each([
    [1, null],
    [MAX_MINIMUM_CENTS, null],
    [0, 'minimum_cents'],
    [-100, 'minimum_cents'],
    [10.5, 'minimum_cents'],
    [MAX_MINIMUM_CENTS + 1, 'minimum_cents'],
    [Number.NaN, 'minimum_cents'],
    [Number.POSITIVE_INFINITY, 'minimum_cents'],
  ])('takes a minimum of %d: %s', (cents, problem) => {
    const found = minimumProblem(cents);
    expect(found === null ? null : found.split(' ')[0]).toBe(problem);
  });
});

describe('committed against consumed', () => {
  it('totals settled periods: minimums, consumption, true-ups and the periods that fell short', () => {
    const totals = commitmentTotals([
      { minimumCents: 5000, consumedCents: 2500, trueUpCents: 2500 },
      { minimumCents: 5000, consumedCents: 7900, trueUpCents: 0 },
      { minimumCents: 12_000, consumedCents: 0, trueUpCents: 12_000 },
    ]);
    expect(totals).toEqual({
      periods: 3,
      short: 2,
      minimumCents: 22_000,
      consumedCents: 10_400,
      trueUpCents: 14_500,
    });
    expect(commitmentTotals([])).toEqual({
      periods: 0,
      short: 0,
      minimumCents: 0,
      consumedCents: 0,
      trueUpCents: 0,
    });
  });

  it.each([
    [5000, 'month', 5000],
    [60_000, 'year', 5000],
    [100, 'year', 8],
  ] as const)('counts a minimum of %d a %s as %d a month', (cents, interval, monthly) => {
    expect(monthlyMinimumCents(cents, interval)).toBe(monthly);
  });
});
