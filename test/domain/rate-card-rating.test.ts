import fc from 'fast-check';
import { effectiveRateCard, lineFor, lineKey, type PriceModel, type RateLine } from '../../domain/rate-card';
import { rateLine, rateUsage } from '../../domain/rate-card-rating';

const line = (price: PriceModel, included = 0, usageType = 'inference'): RateLine => ({
  usageType,
  match: {},
  byok: false,
  included,
  price,
});
const tier = (upTo: number | null, unitAmountDecimal: string, flatAmountCents = 0) => ({
  upTo,
  unitAmountDecimal,
  flatAmountCents,
});
describe('rating one line (cents computed by hand)', () => {
  const graduated: PriceModel = {
    model: 'graduated',
    tiers: [tier(1000, '0.5'), tier(5000, '0.25'), tier(null, '0.1')],
  };
  const volume: PriceModel = { model: 'volume', tiers: [tier(1000, '2'), tier(null, '1')] };
  test.each<[string, RateLine, number, number]>([
    [
      'the pool: 1,085 units with 1,000 included at 200¢/1k is 17¢',
      effectiveRateCard([], 1000, 200)[0]!,
      1085,
      17,
    ],
    ['the pool within its included credits costs nothing', effectiveRateCard([], 1000, 200)[0]!, 1000, 0],
    [
      'per unit 0.0015¢ × 1,000,000',
      line({ model: 'per_unit', unitAmountDecimal: '0.0015' }),
      1_000_000,
      1500,
    ],
    [
      'per unit rounds once, half up: 1,000 × 0.0005¢ = 0.5¢ → 1¢',
      line({ model: 'per_unit', unitAmountDecimal: '0.0005' }),
      1000,
      1,
    ],
    [
      'per unit: 999 × 0.0005¢ = 0.4995¢ → 0¢',
      line({ model: 'per_unit', unitAmountDecimal: '0.0005' }),
      999,
      0,
    ],
    [
      'package: one unit starts a package of 1,000 at 150¢',
      line({ model: 'package', packageSize: 1000, amountCents: 150 }),
      1,
      150,
    ],
    [
      'package: 1,000 units are one package',
      line({ model: 'package', packageSize: 1000, amountCents: 150 }),
      1000,
      150,
    ],
    [
      'package: 1,001 units are two',
      line({ model: 'package', packageSize: 1000, amountCents: 150 }),
      1001,
      300,
    ],
    ['graduated across three tiers: 500 + 1,000 + 100', line(graduated), 6000, 1600],
    ['graduated after 100 included units: 500 + 1,000 + 90', line(graduated, 100), 6000, 1590],
    ['graduated at a tier boundary', line(graduated), 5000, 1500],
    [
      'graduated flat fee of a tier reached',
      line({ model: 'graduated', tiers: [tier(10, '0', 500), tier(null, '1')] }),
      5,
      500,
    ],
    [
      'graduated flat fee then units',
      line({ model: 'graduated', tiers: [tier(10, '0', 500), tier(null, '1')] }),
      15,
      505,
    ],
    ['volume: 1,000 units all at 2¢', line(volume), 1000, 2000],
    ['volume: 1,001 units all at 1¢', line(volume), 1001, 1001],
    [
      'volume with a flat fee of the tier the total is in',
      line({ model: 'volume', tiers: [tier(10, '1', 100), tier(null, '0.5', 50)] }),
      20,
      60,
    ],
    [
      'no units cost nothing, whatever the tier fees',
      line({ model: 'graduated', tiers: [tier(10, '0', 500), tier(null, '1')] }),
      0,
      0,
    ],
  ])('%s', (_name, l, units, cents) => {
    expect(rateLine(l, units).cents).toBe(cents);
  });

  test('a line answers the units it priced and the included units it used', () => {
    expect(rateLine(line(graduated, 100), 6000)).toEqual({
      key: 'inference',
      units: 6000,
      includedUsed: 100,
      priced: 5900,
      cents: 1590,
    });
  });

  test('huge quantities stay exact', () => {
    const l = line({ model: 'per_unit', unitAmountDecimal: '0.000000000001' });
    expect(rateLine(l, 1_000_000_000_000).cents).toBe(1);
    expect(rateLine(line({ model: 'per_unit', unitAmountDecimal: '999999999.999999999999' }), 1).cents).toBe(
      1_000_000_000,
    );
  });
});

describe('rating does not depend on how events were batched or ordered', () => {
  const card = effectiveRateCard(
    [
      {
        usageType: 'inference',
        match: {},
        byok: false,
        included: 50,
        price: { model: 'package', packageSize: 100, amountCents: 7 },
      },
      {
        usageType: 'inference',
        match: { model: 'big' },
        byok: false,
        included: 0,
        price: { model: 'graduated', tiers: [tier(100, '0.3', 5), tier(400, '0.07'), tier(null, '0.011')] },
      },
      {
        usageType: 'embedding',
        match: {},
        byok: false,
        included: 0,
        price: { model: 'volume', tiers: [tier(300, '0.5'), tier(null, '0.25', 9)] },
      },
      {
        usageType: '*',
        match: {},
        byok: true,
        included: 0,
        price: { model: 'per_unit', unitAmountDecimal: '0.0125' },
      },
    ],
    200,
    150,
  );
  const event = fc.record({
    type: fc.constantFrom('inference', 'embedding', 'tts'),
    byok: fc.boolean(),
    metadata: fc.constantFrom<Record<string, unknown>>({}, { model: 'big' }, { model: 'small' }),
    units: fc.integer({ min: 0, max: 400 }),
  });
  type Ev = { type: string; byok: boolean; metadata: Record<string, unknown>; units: number };
  const unitsOf = (events: Ev[], into = new Map<string, number>()) => {
    for (const e of events) {
      const l = lineFor(card, e);
      if (l) into.set(lineKey(l), (into.get(lineKey(l)) ?? 0) + e.units);
    }
    return into;
  };

  test('the last period-to-date cost of any batching equals the cost of the sums', () => {
    fc.assert(
      fc.property(
        fc.array(event, { maxLength: 60 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.nat(),
        (events, cuts, seed) => {
          // Any order: a seeded Fisher-Yates shuffle; any batching: cut points.
          const shuffled: Ev[] = [...events];
          let state = seed;
          for (let i = shuffled.length - 1; i > 0; i--) {
            state = (state * 1103515245 + 12345) % 2147483648;
            const j = state % (i + 1);
            [shuffled[i], shuffled[j]] = [shuffled[j] as Ev, shuffled[i] as Ev];
          }
          const bounds = [...new Set(cuts.map((c) => c % (shuffled.length + 1)))].sort((a, b) => a - b);
          const running = new Map<string, number>();
          let last = 0;
          let from = 0;
          for (const to of [...bounds, shuffled.length]) {
            unitsOf(shuffled.slice(from, to), running);
            last = rateUsage(card, running).cents;
            from = to;
          }
          expect(last).toBe(rateUsage(card, unitsOf(events)).cents);
        },
      ),
      { numRuns: 300 },
    );
  });

  test("a period's cost is the sum of its lines' cents, none negative", () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 40 }), (events) => {
        const rated = rateUsage(card, unitsOf(events));
        expect(rated.cents).toBe(rated.lines.reduce((s, l) => s + l.cents, 0));
        for (const l of rated.lines) expect(l.cents).toBeGreaterThanOrEqual(0);
      }),
    );
  });

  test("units under a key the card no longer has are the pool's", () => {
    const rated = rateUsage(card, new Map([['gone[model=x]', 1200]]));
    expect(rated.lines).toEqual([{ key: '*', units: 1200, includedUsed: 200, priced: 1000, cents: 150 }]);
  });
});
