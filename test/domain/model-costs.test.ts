import fc from 'fast-check';
import catalogue from '../../domain/model-costs/catalogue.json';
import {
  allocate,
  catalogueRates,
  costDayRefusal,
  costUsage,
  isDay,
  marginPercent,
  noTokens,
  parseRate,
  picoToCents,
  rateOn,
  ratesInEffect,
  tokenCountsProblem,
  type ModelRate,
  type UsageCostGroup,
} from '../../domain/model-costs/costs';
import {
  convertedMarginInputs,
  costByLine,
  marginReport,
  ratedPeriods,
  usageRevenueByModel,
  usageUnderCards,
} from '../../domain/model-costs/margins';
import { describeBreach, marginFloorBreaches } from '../../domain/model-costs/margin-floor';
import type { RateLine } from '../../domain/rate-card';
import { conversion } from '../../domain/currency/exchange-rates';

const rate = (over: Partial<ModelRate> & Pick<ModelRate, 'model' | 'validFrom'>): ModelRate => ({
  provider: 'openai',
  rates: { input: '100', cached: '50', output: '400', reasoning: '400' },
  source: 'catalogue',
  reason: null,
  ...over,
});

const group = (over: Partial<UsageCostGroup>): UsageCostGroup => ({
  customerId: 'c1',
  day: '2026-10-05',
  byok: false,
  type: 'inference',
  quantity: 0,
  model: 'm',
  direction: null,
  untokened: 0,
  tokens: noTokens(),
  ...over,
});

describe('model costs', () => {
  it.each([
    ['250', 250_000_000n],
    ['7.5', 7_500_000n],
    ['0', 0n],
    ['0.000001', 1n],
    ['99999999.999999', 99_999_999_999_999n],
  ])('reads the rate %s as micro-cents per million tokens', (text, micro) => {
    expect(parseRate(text)).toBe(micro);
  });

  it.each([['-1'], ['1e3'], ['01'], ['1.'], ['.5'], ['1.1234567'], ['100000000'], [''], [' 1'], [5], [null]])(
    'refuses the rate %p',
    (text) => {
      expect(parseRate(text)).toBeNull();
    },
  );

  it('keeps the repository catalogue well formed: every row parses, no model has two rows for one day', () => {
    const rows = catalogueRates(catalogue);
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.every((r) => r.source === 'catalogue' && isDay(r.validFrom))).toBe(true);
    expect(() => catalogueRates({ models: [catalogue.models[0], { ...catalogue.models[0] }] })).toThrow(
      /two rows/,
    );
    expect(() => catalogueRates({ models: [{ ...catalogue.models[0], input: '1e3' }] })).toThrow(
      /input rate/,
    );
    expect(() => catalogueRates({ models: [{ ...catalogue.models[0], valid_from: '2025-02-30' }] })).toThrow(
      /valid_from/,
    );
    expect(() => catalogueRates({})).toThrow(/no models/);
  });

  it('costs a day at the row in force that day, an override winning from its own day', () => {
    const rates = [
      rate({ model: 'm', validFrom: '2026-01-01' }),
      rate({
        model: 'm',
        validFrom: '2026-06-01',
        rates: { input: '80', cached: '40', output: '300', reasoning: '300' },
      }),
      rate({ model: 'm', validFrom: '2026-09-15', source: 'override', reason: 'deal' }),
      rate({ model: 'other', validFrom: '2026-01-01' }),
    ];
    const table: [string, string | null, string | null][] = [
      ['2025-12-31', null, null],
      ['2026-01-01', '2026-01-01', 'catalogue'],
      ['2026-05-31', '2026-01-01', 'catalogue'],
      ['2026-06-01', '2026-06-01', 'catalogue'],
      ['2026-09-14', '2026-06-01', 'catalogue'],
      ['2026-09-15', '2026-09-15', 'override'],
      ['2027-01-01', '2026-09-15', 'override'],
    ];
    for (const [day, from, source] of table) {
      const r = rateOn(rates, 'm', day);
      expect([day, r?.validFrom ?? null, r?.source ?? null]).toEqual([day, from, source]);
    }
    // A catalogue row later than the override does not undo a negotiated rate.
    const later = [...rates, rate({ model: 'm', validFrom: '2026-12-01' })];
    expect(rateOn(later, 'm', '2026-12-02')?.source).toBe('override');
    expect(rateOn(rates, 'unknown', '2026-10-01')).toBeNull();
    const effect = ratesInEffect(rates, '2026-09-01');
    expect(effect.find((m) => m.model === 'm')).toMatchObject({
      current: { validFrom: '2026-06-01' },
      scheduled: [{ validFrom: '2026-09-15' }],
    });
  });

  it('costs tokens by kind, direction-only units as their kind, own-key usage at nothing, and never guesses', () => {
    const rates = [rate({ model: 'm', validFrom: '2026-01-01' })];
    const costs = costUsage(
      [
        group({ tokens: { input: 1_000_000, cached: 2_000_000, output: 10_000, reasoning: 5_000 } }),
        group({ direction: 'output', untokened: 1_000 }),
        group({ direction: 'sideways', untokened: 300 }),
        group({ byok: true, untokened: 7_000, tokens: { ...noTokens(), input: 1 } }),
        group({ model: null, untokened: 11 }),
        group({ model: 'unknown', untokened: 13 }),
        group({ day: '2025-12-31', direction: 'input', untokened: 17 }),
      ],
      rates,
    );
    const m = costs.find((c) => c.model === 'm')!;
    // 1M × 100 + 2M × 50 + 10,000 × 400 + 5,000 × 400 + 1,000 × 400, per million: 100 + 100 + 4 + 2 + 0.4.
    expect(picoToCents(m.pico)).toBe(206);
    expect(m.pico).toBe(206_400_000_000_000n);
    expect(m.tokens).toEqual({ input: 1_000_000, cached: 2_000_000, output: 11_000, reasoning: 5_000 });
    // 300 of no kind, 17 on a day before the model's first rate; 7,001 on the customer's own key.
    expect(m).toMatchObject({ uncosted: 317, byok: 7_001, provider: 'openai' });
    expect(costs.find((c) => c.model === null)).toMatchObject({ uncosted: 11, pico: 0n });
    expect(costs.find((c) => c.model === 'unknown')).toMatchObject({ uncosted: 13, pico: 0n });
  });

  it.each([
    [0n, 0],
    [499_999_999_999n, 0],
    [500_000_000_000n, 1],
    [1_500_000_000_000n, 2],
    [-500_000_000_000n, -1],
    [61_250_000_000_000n, 61],
  ])('rounds %p picocents to %p cents, half away from zero', (pico, cents) => {
    expect(picoToCents(pico)).toBe(cents);
  });

  it.each<[unknown, string | null]>([
    [{ input: 5 }, null],
    [{ input: 0, output: 0, cached: 0, reasoning: 0 }, null],
    [{}, 'must name at least one kind of token'],
    [[], 'must be an object of token counts by kind (input, cached, output, reasoning)'],
    [null, 'must be an object of token counts by kind (input, cached, output, reasoning)'],
    ['5', 'must be an object of token counts by kind (input, cached, output, reasoning)'],
    [{ input: -1 }, 'input must be a whole number of tokens from 0 to 1000'],
    [{ output: 1.5 }, 'output must be a whole number of tokens from 0 to 1000'],
    [{ output: 1001 }, 'output must be a whole number of tokens from 0 to 1000'],
    [{ output: '5' }, 'output must be a whole number of tokens from 0 to 1000'],
    [{ prompt: 5 }, 'has an unknown kind "prompt": the kinds are input, cached, output and reasoning'],
    [
      { ['x'.repeat(500)]: 5 },
      `has an unknown kind "${'x'.repeat(40)}": the kinds are input, cached, output and reasoning`,
    ],
  ])('judges the token counts %p', (value, problem) => {
    expect(tokenCountsProblem(value, 1000)).toBe(problem);
  });

  it('splits cents over weights exactly, each share within a cent of its proportion', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.dictionary(fc.string({ minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 1_000_000 }), {
          minKeys: 1,
          maxKeys: 6,
        }),
        (cents, dict) => {
          const weights = new Map(Object.entries(dict));
          const shares = allocate(cents, weights);
          const total = [...weights.values()].reduce((s, w) => s + w, 0);
          expect([...shares.values()].reduce((s, c) => s + c, 0)).toBe(cents);
          for (const [name, w] of weights) {
            expect(Math.abs((shares.get(name) ?? 0) - (cents * w) / total)).toBeLessThan(1);
          }
        },
      ),
    );
    expect(allocate(10, new Map([['a', 0]])).size).toBe(0);
  });

  it.each([
    [100, 25, 75],
    [100, 150, -50],
    [3, 1, 66.7],
    [0, 10, null],
  ])('gives revenue %p against cost %p a margin of %p %', (revenue, cost, percent) => {
    expect(marginPercent(revenue, cost)).toBe(percent);
  });
});

describe('the margin report', () => {
  it('adds each model, customer and plan from its own usage, the totals from all of it', () => {
    const usageRevenue = usageRevenueByModel([
      {
        customerId: 'a',
        lines: [
          { key: '*', units: 30, includedUsed: 0, priced: 30, cents: 10 },
          { key: 'byok:*', units: 5, includedUsed: 0, priced: 5, cents: 0 },
        ],
        unitsByLine: new Map([
          [
            '*',
            new Map([
              ['x', 10],
              ['y', 20],
            ]),
          ],
          ['byok:*', new Map([['x', 5]])],
        ]),
      },
    ]);
    // 10 split 1:2 → 3.33 and 6.67: the spare cent to the larger remainder.
    expect(usageRevenue.get('a')).toEqual(
      new Map([
        ['x', 3],
        ['y', 7],
      ]),
    );
    const pico = (cents: number) => BigInt(Math.round(cents * 1000)) * 1_000_000_000n;
    const r = marginReport({
      costs: [
        {
          customerId: 'a',
          model: 'x',
          provider: 'p',
          tokens: noTokens(),
          pico: pico(0.4),
          uncosted: 1,
          byok: 5,
        },
        {
          customerId: 'b',
          model: 'x',
          provider: 'p',
          tokens: noTokens(),
          pico: pico(0.4),
          uncosted: 0,
          byok: 0,
        },
        {
          customerId: 'b',
          model: 'y',
          provider: 'p',
          tokens: noTokens(),
          pico: pico(2),
          uncosted: 0,
          byok: 0,
        },
      ],
      usageRevenue,
      invoiced: new Map([
        ['a', { netCents: 500, invoices: 1 }],
        ['c', { netCents: 100, invoices: 2 }],
      ]),
      customers: new Map([
        ['a', { email: 'a@x', plan: 'pro' }],
        ['b', { email: 'b@x', plan: 'pro' }],
        ['c', { email: 'c@x', plan: null }],
      ]),
    });
    // Model x: 0.4 + 0.4 = 0.8 → 1 (rounded once), not 0 + 0.
    expect(r.byModel.find((m) => m.model === 'x')).toMatchObject({
      costCents: 1,
      revenueCents: 3,
      customers: 2,
    });
    expect(r.byCustomer.map((c) => [c.email, c.revenueCents, c.costCents, c.marginCents])).toEqual([
      ['b@x', 0, 2, -2],
      ['c@x', 100, 0, 100],
      ['a@x', 500, 0, 500],
    ]);
    expect(r.byPlan).toEqual([
      { plan: null, customers: 1, revenueCents: 100, costCents: 0, marginCents: 100, marginPercent: 100 },
      { plan: 'pro', customers: 2, revenueCents: 500, costCents: 3, marginCents: 497, marginPercent: 99.4 },
    ]);
    expect(r.totals).toEqual({
      revenueCents: 600,
      costCents: 3,
      marginCents: 597,
      marginPercent: 99.5,
      uncostedUnits: 1,
      byokUnits: 5,
    });
  });
});

describe('the margin floor', () => {
  const rates = [
    rate({
      model: 'm',
      validFrom: '2026-01-01',
      rates: { input: '100', cached: '50', output: '400', reasoning: '800' },
    }),
    // Dearer from a day to come: a card sold today must still hold then.
    rate({
      model: 'm',
      validFrom: '2026-12-01',
      rates: { input: '300', cached: '50', output: '400', reasoning: '800' },
    }),
  ];
  const line = (
    match: Record<string, string>,
    price: RateLine['price'],
    over: Partial<RateLine> = {},
  ): RateLine => ({
    usageType: 'inference',
    match,
    byok: false,
    included: 0,
    price,
    ...over,
  });
  const perUnit = (d: string): RateLine['price'] => ({ model: 'per_unit', unitAmountDecimal: d });
  // 0.0004¢ a token is 400¢ a million.
  const judge = (card: RateLine[], floor = 0) =>
    marginFloorBreaches(card, rates, '2026-11-28', floor).map((b) => [
      b.index,
      b.kind,
      b.pricePerMillionCents,
      b.costPerMillionCents,
      b.costFrom,
      b.marginPercent,
    ]);

  it.each<[string, RateLine[], number, unknown[]]>([
    ['output at its cost', [line({ model: 'm', direction: 'output' }, perUnit('0.0004'))], 0, []],
    [
      'output a hair below',
      [line({ model: 'm', direction: 'output' }, perUnit('0.000399'))],
      0,
      [[0, 'output', 399, 400, '2026-01-01', -0.3]],
    ],
    [
      'input fine today, below from December',
      [line({ model: 'm', direction: 'input' }, perUnit('0.0002'))],
      0,
      [[0, 'input', 200, 300, '2026-12-01', -50]],
    ],
    [
      'no direction: the dearest kind',
      [line({ model: 'm' }, perUnit('0.0005'))],
      0,
      [[0, 'reasoning', 500, 800, '2026-01-01', -60]],
    ],
    [
      'a floor of 20 %: 25 % passes',
      [line({ model: 'm', direction: 'output' }, perUnit('0.000533334'))],
      20,
      [],
    ],
    [
      'a floor of 20 %: 16.7 % does not',
      [line({ model: 'm', direction: 'output' }, perUnit('0.00048'))],
      20,
      [[0, 'output', 480, 400, '2026-01-01', 16.7]],
    ],
    [
      'graduated: judged at its cheapest tier',
      [
        line(
          { model: 'm', direction: 'output' },
          {
            model: 'graduated',
            tiers: [
              { upTo: 1000, unitAmountDecimal: '0.01', flatAmountCents: 0 },
              { upTo: null, unitAmountDecimal: '0.0003', flatAmountCents: 500 },
            ],
          },
        ),
      ],
      0,
      [[0, 'output', 300, 400, '2026-01-01', -33.3]],
    ],
    [
      'a package: per unit',
      [
        line(
          { model: 'm', direction: 'output' },
          { model: 'package', packageSize: 1_000_000, amountCents: 350 },
        ),
      ],
      0,
      [[0, 'output', 350, 400, '2026-01-01', -14.3]],
    ],
    [
      'free: no margin at all',
      [line({ model: 'm', direction: 'cached' }, perUnit('0'))],
      0,
      [[0, 'cached', 0, 50, '2026-01-01', null]],
    ],
    ['a model the catalogue does not know', [line({ model: 'other' }, perUnit('0'))], 0, []],
    ['a line of no model', [line({ direction: 'output' }, perUnit('0'))], 0, []],
    ['BYOK: the platform pays nothing', [line({ model: 'm' }, perUnit('0'), { byok: true })], 0, []],
    [
      'the second line of two',
      [line({}, perUnit('1')), line({ model: 'm', direction: 'output' }, perUnit('0.0001'))],
      0,
      [[1, 'output', 100, 400, '2026-01-01', -300]],
    ],
  ])('%s', (_name, card, floor, expected) => {
    expect(judge(card, floor)).toEqual(expected);
  });

  it('says what is wrong in words', () => {
    const [b] = marginFloorBreaches(
      [line({ model: 'm', direction: 'output' }, perUnit('0.0002'))],
      rates,
      '2026-11-28',
      10,
    );
    expect(describeBreach(b!)).toBe(
      'inference[direction=output,model=m] sells m output tokens at 200¢ per million against a cost of 400¢ (from 2026-01-01): a margin of -100 %, below the floor of 10 %',
    );
  });
});

describe('usage under two cards', () => {
  it('bills the same usage under each card, line by line, and costs it once', () => {
    const rates = [rate({ model: 'm', validFrom: '2026-01-01' })];
    const perUnit = (d: string) => ({ model: 'per_unit' as const, unitAmountDecimal: d });
    const pool = (included: number, per1k: string): RateLine => ({
      usageType: '*',
      match: {},
      byok: false,
      included,
      price: perUnit(per1k),
    });
    const modelLine: RateLine = {
      usageType: 'inference',
      match: { model: 'm' },
      byok: false,
      included: 0,
      price: perUnit('0.001'),
    };
    const groups = [
      group({ direction: 'input', untokened: 100_000, quantity: 100_000 }),
      group({ model: null, type: 'tts', untokened: 5_000, quantity: 5_000 }),
      group({ byok: true, untokened: 9_000, quantity: 9_000 }),
    ];
    const r = usageUnderCards(
      groups,
      { before: [pool(1000, '0.01')], after: [pool(0, '0.01'), modelLine] },
      rates,
    );
    // Before: 105,000 pooled, 1,000 included, 104,000 × 0.01 = 1,040. After: 5,000 × 0.01 + 100,000 × 0.001 = 150.
    // BYOK is priced by neither card. Cost: 100,000 input at 100 per million = 10.
    expect(r).toEqual({ beforeCents: 1040, afterCents: 150, costCents: 10 });
  });

  it('bills token counts on the lines of their kinds where the card prices kinds apart', () => {
    const rates = [rate({ model: 'm', validFrom: '2026-01-01' })];
    const line = (match: Record<string, string>, d: string): RateLine => ({
      usageType: 'inference',
      match,
      byok: false,
      included: 0,
      price: { model: 'per_unit', unitAmountDecimal: d },
    });
    const whole = [line({}, '0.001')];
    const apart = [...whole, line({ model: 'm', direction: 'output' }, '0.01')];
    // Calls of 7 units each reported with their counts, and 1,000 units reported as input.
    const groups = [
      group({ quantity: 7, tokens: { input: 30_000, cached: 0, output: 5_000, reasoning: 1_000 } }),
      group({ direction: 'input', untokened: 1_000, quantity: 1_000 }),
    ];
    const r = usageUnderCards(groups, { before: whole, after: apart }, rates);
    // Before: 1,007 units × 0.001 = 1.007 → 1. After: output and reasoning 6,000 × 0.01 = 60, input 30,000 +
    // 1,000 × 0.001 = 31. Cost: 31,000 input × 100 + 6,000 × 400 per million = 3.1 + 2.4 = 5.5 → 6.
    expect(r).toEqual({ beforeCents: 1, afterCents: 91, costCents: 6 });
    // In the cards' currency, a dollar worth 0.9 of it: 5.5 × 0.9 = 4.95 → 5, converted before rounding.
    const inEuros = conversion({ reportingCurrency: 'eur', rates: { usd: '0.9' } }, 'usd', 'eur')!;
    expect(usageUnderCards(groups, { before: whole, after: apart }, rates, inEuros).costCents).toBe(5);
  });
});

describe('rated periods', () => {
  it("rates each customer's period by their card, units by model, a line the card lost on the pool", () => {
    const card: RateLine[] = [
      {
        usageType: '*',
        match: {},
        byok: false,
        included: 0,
        price: { model: 'per_unit', unitAmountDecimal: '1' },
      },
      {
        usageType: 'inference',
        match: { model: 'x' },
        byok: false,
        included: 0,
        price: { model: 'per_unit', unitAmountDecimal: '2' },
      },
    ];
    const start = new Date('2026-10-01T00:00:00Z');
    const periods = ratedPeriods(
      [
        { customerId: 'a', periodStart: start, lineKey: 'inference[model=x]', model: 'x', units: 5 },
        { customerId: 'a', periodStart: start, lineKey: '*', model: null, units: 3 },
        // A line of an older card: billed on the pool, as the rollup's rating does.
        { customerId: 'a', periodStart: start, lineKey: 'inference[model=gone]', model: 'gone', units: 4 },
        { customerId: 'nobody', periodStart: start, lineKey: '*', model: 'x', units: 9 },
      ],
      (id) => (id === 'a' ? card : null),
    );
    expect(periods).toHaveLength(1);
    expect(periods[0]!.lines.map((l) => [l.key, l.units, l.cents])).toEqual([
      ['*', 7, 7],
      ['inference[model=x]', 5, 10],
    ]);
    expect(usageRevenueByModel(periods).get('a')).toEqual(
      new Map([
        ['x', 10],
        ['(no model)', 3],
        ['gone', 4],
      ]),
    );
  });
});

describe('the day a negotiated rate may take effect', () => {
  it.each([
    ['2026-11-29', null],
    ['2027-01-01', null],
    [
      '2026-11-28',
      'valid_from must be after 2026-11-28: usage up to today is already costed, and history is never rewritten',
    ],
    [
      '2020-01-01',
      'valid_from must be after 2026-11-28: usage up to today is already costed, and history is never rewritten',
    ],
  ])('%s', (day, refusal) => {
    expect(costDayRefusal(day, '2026-11-28')).toBe(refusal);
  });
});

describe('margin figures in the reporting currency', () => {
  it("converts costs and each customer's bills once, leaving out a currency without a rate", () => {
    const rates = { reportingCurrency: 'eur', rates: { usd: '0.9' } };
    const cost = (customerId: string, pico: bigint) => ({
      customerId,
      model: 'm',
      provider: 'openai',
      tokens: noTokens(),
      pico,
      uncosted: 0,
      byok: 0,
    });
    const currencies: Record<string, string> = { us: 'usd', eu: 'eur', uk: 'gbp' };
    const r = convertedMarginInputs({
      // 10.5 US cents and 2 US cents of provider cost.
      costs: [cost('us', 10_500_000_000_000n), cost('eu', 2_000_000_000_000n), cost('uk', 1n)],
      usageRevenue: new Map([
        ['us', new Map([['m', 1000]])],
        ['eu', new Map([['m', 500]])],
        ['uk', new Map([['m', 700]])],
      ]),
      invoiced: [
        { customerId: 'us', currency: 'usd', netCents: 2500, invoices: 1 },
        { customerId: 'eu', currency: 'eur', netCents: 1800, invoices: 2 },
        { customerId: 'uk', currency: 'gbp', netCents: 1600, invoices: 1 },
      ],
      currencyOf: (id) => currencies[id] as string,
      costConversion: conversion(rates, 'usd', 'eur')!,
      into: (from) => conversion(rates, from, 'eur'),
    });
    // Costs exact until rounded by the report: 10.5 × 0.9 = 9.45 and 2 × 0.9 = 1.8 euro cents.
    expect(r.costs.map((c) => [c.customerId, c.pico])).toEqual([
      ['us', 9_450_000_000_000n],
      ['eu', 1_800_000_000_000n],
    ]);
    expect(Object.fromEntries(r.invoiced)).toEqual({
      us: { netCents: 2250, invoices: 1 },
      eu: { netCents: 1800, invoices: 2 },
    });
    expect([...r.usageRevenue].map(([id, m]) => [id, Object.fromEntries(m)])).toEqual([
      ['us', { m: 900 }],
      ['eu', { m: 500 }],
    ]);
    expect({ leftOut: [...r.leftOut], missing: r.missingRates }).toEqual({
      leftOut: ['uk'],
      missing: ['gbp'],
    });
  });
});

describe("an invoice's usage cost by line", () => {
  it('rounds each line once and the total once, in the invoice currency when converted', () => {
    const rates = [rate({ model: 'm', validFrom: '2026-01-01' })];
    // 15,000 input tokens (1.5¢) on one line, 5,000 output tokens (2¢) and 1,000 units of no kind on another.
    const groups = [
      {
        ...group({ tokens: { input: 15_000, cached: 0, output: 0, reasoning: 0 }, quantity: 15_000 }),
        lineKey: 'a',
      },
      { ...group({ direction: 'output', untokened: 5_000, quantity: 5_000 }), lineKey: 'b' },
      { ...group({ untokened: 1_000, quantity: 1_000 }), lineKey: 'b' },
    ];
    expect(costByLine(groups, rates)).toEqual({
      costCents: 4,
      uncostedUnits: 1_000,
      byokUnits: 0,
      lines: [
        { key: 'a', costCents: 2 },
        { key: 'b', costCents: 2 },
      ],
    });
    // At 0.9: 1.35 → 1 and 1.8 → 2 on the lines, 3.15 → 3 in all.
    const inEuros = conversion({ reportingCurrency: 'eur', rates: { usd: '0.9' } }, 'usd', 'eur')!;
    expect(costByLine(groups, rates, inEuros)).toMatchObject({
      costCents: 3,
      lines: [
        { key: 'a', costCents: 1 },
        { key: 'b', costCents: 2 },
      ],
    });
  });
});
