import {
  allMatch,
  explainLine,
  monthSpan,
  previousMonth,
  type IssuedLine,
  type LinePrice,
} from '../../domain/invoice-explain';
import { effectiveRateCard } from '../../domain/rate-card';

const line = (over: Partial<IssuedLine> = {}): IssuedLine => ({
  stripeLineId: 'il_1',
  description: 'a line',
  quantity: 1,
  amountCents: 1900,
  discountCents: 0,
  taxCents: 0,
  periodStart: '2026-10-01T00:00:00.000Z',
  periodEnd: '2026-11-01T00:00:00.000Z',
  proration: false,
  priceId: 'price_1',
  subscriptionItemId: 'si_1',
  invoiceItemId: null,
  ...over,
});

const price = (over: Partial<LinePrice> = {}): LinePrice => ({
  planId: 'plan_1',
  planName: 'Starter',
  interval: 'month',
  currency: 'usd',
  role: 'plan',
  unitCents: 1900,
  seatTiers: null,
  // 100 units included, then $3 a thousand.
  rateCard: effectiveRateCard([], 100, 300),
  ...over,
});

const units = (n: number) => ({ unitsByLine: new Map([['*', n]]) });

describe('explaining an issued line', () => {
  it.each([
    ['a plan fee at the price', line(), price(), null, 'plan', 1900, true],
    ['a plan fee off the price', line({ amountCents: 2000 }), price(), null, 'plan', 1900, false],
    ['five seats', line({ quantity: 5, amountCents: 9500 }), price(), null, 'plan', 9500, true],
    [
      'seats past a volume band, every seat at the band',
      line({ quantity: 12, amountCents: 12 * 1710 }),
      price({ seatTiers: { mode: 'volume', bands: [{ fromSeat: 11, percentOff: 10 }] } }),
      null,
      'plan',
      12 * 1710,
      true,
    ],
    [
      'usage within the included units',
      line({ amountCents: 0 }),
      price({ role: 'usage' }),
      units(100),
      'usage',
      0,
      true,
    ],
    ['usage past them', line({ amountCents: 240 }), price({ role: 'usage' }), units(900), 'usage', 240, true],
    [
      'usage billed on units the rollups no longer hold',
      line({ amountCents: 240 }),
      price({ role: 'usage' }),
      units(1000),
      'usage',
      270,
      false,
    ],
    [
      'usage with no rollups at all',
      line({ amountCents: 0 }),
      price({ role: 'usage' }),
      null,
      'usage',
      0,
      true,
    ],
  ] as const)('%s', (_, l, p, u, kind, recomputed, matches) => {
    const explained = explainLine(l, p, u);
    expect(explained.kind).toBe(kind);
    expect(explained.recomputation).toEqual({ recomputedCents: recomputed, matches });
  });

  describe('a proration of the plan fee', () => {
    // October has 31 days; a change at noon on the 21st leaves 10.5 of them: 2,678,400 s of which 907,200.
    const october = { start: new Date('2026-10-01T00:00:00Z'), end: new Date('2026-11-01T00:00:00Z') };
    const fromChange = { periodStart: '2026-10-21T12:00:00.000Z', proration: true };
    it.each([
      // 1,900 × 907,200 ÷ 2,678,400 = 643.5 → 644, credited.
      [
        'the unused time of the old price, credited',
        line({ ...fromChange, amountCents: -644 }),
        price(),
        -644,
        true,
      ],
      // 4,900 × 907,200 ÷ 2,678,400 = 1,659.7 → 1,660.
      [
        'the remaining time of the new price, charged',
        line({ ...fromChange, amountCents: 1660 }),
        price({ unitCents: 4900 }),
        1660,
        true,
      ],
      ['three seats of it', line({ ...fromChange, quantity: 3, amountCents: 1931 }), price(), 1931, true],
      ['a cent off', line({ ...fromChange, amountCents: 1661 }), price({ unitCents: 4900 }), 1660, false],
    ] as const)('recomputes %s', (_, l, p, recomputed, matches) => {
      expect(explainLine(l, p, null, october).recomputation).toEqual({
        recomputedCents: recomputed,
        matches,
      });
    });

    it.each([
      ['without the period it fell in', line(fromChange), price(), null],
      [
        'of another period than the one given',
        line({ ...fromChange, periodEnd: '2026-12-01T00:00:00.000Z' }),
        price(),
        october,
      ],
      ['of metered usage', line(fromChange), price({ role: 'usage' }), october],
    ] as const)('shows one %s as issued', (_, l, p, period) => {
      expect(explainLine(l, p, null, period).recomputation).toMatchObject({ recomputedCents: null });
    });
  });

  it.each([
    ['a proration', line({ proration: true, amountCents: -950 }), price(), 'proration'],
    ['an item the engine sent (a top-up)', line({ priceId: null, invoiceItemId: 'ii_1' }), null, 'one_time'],
    ['a price the engine did not make', line({ priceId: 'price_other' }), null, 'one_time'],
    ['a plan with no price in the cycle', line(), price({ unitCents: null }), 'plan'],
  ] as const)('shows %s as issued, not recomputed', (_, l, p, kind) => {
    const explained = explainLine(l, p, null);
    expect(explained.kind).toBe(kind);
    expect(explained.recomputation).toMatchObject({
      recomputedCents: null,
      matches: null,
      why: expect.any(String),
    });
  });

  it('says the invoice matches only when no recomputed line differs', () => {
    const good = explainLine(line(), price(), null);
    const shown = explainLine(line({ proration: true }), price(), null);
    const bad = explainLine(line({ amountCents: 1 }), price(), null);
    expect(allMatch([good, shown])).toBe(true);
    expect(allMatch([good, shown, bad])).toBe(false);
    expect(allMatch([])).toBe(true);
  });
});

describe('the month a reverification covers', () => {
  it.each([
    ['2026-10', '2026-10-01T00:00:00.000Z', '2026-11-01T00:00:00.000Z'],
    ['2026-12', '2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
    ['2024-02', '2024-02-01T00:00:00.000Z', '2024-03-01T00:00:00.000Z'],
  ])('%s is a UTC calendar month', (text, from, to) => {
    expect(monthSpan(text)).toEqual({ from: new Date(from), to: new Date(to) });
  });

  it.each([
    '2026-13',
    '2026-00',
    '2026-1',
    '26-10',
    '2026-10-01',
    ' 2026-10',
    '2026-10\n',
    '１９７０-01',
    '1969-12',
    '',
  ])('refuses %j', (text) => expect(monthSpan(text)).toBeNull());

  it.each([
    ['2026-11-28T12:00:00Z', '2026-10'],
    ['2026-01-01T00:00:00Z', '2025-12'],
    ['2026-03-31T23:59:59Z', '2026-02'],
  ])('before %s is %s', (at, month) => expect(previousMonth(new Date(at))).toBe(month));
});
