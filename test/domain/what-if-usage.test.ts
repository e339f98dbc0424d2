import { effectiveRateCard, lineKey, POOL_LINE_KEY, type RateLine } from '../../domain/rate-card';
import { whatIfCost, type PeriodStanding } from '../../domain/what-if-usage';

// 100 included a period, then 300¢ a thousand (0.3¢ a unit); GPT-4o priced by a line of its own: 1¢ a
// unit after 10 free.
const gpt4o: RateLine = {
  usageType: 'inference',
  match: { model: 'gpt-4o' },
  byok: false,
  included: 10,
  price: { model: 'per_unit', unitAmountDecimal: '1' },
};
const lines = effectiveRateCard([gpt4o], 100, 300);

function standing(s: Partial<PeriodStanding> & { pool?: number; model?: number }): PeriodStanding {
  const units = new Map<string, number>([[POOL_LINE_KEY, s.pool ?? 0]]);
  if (s.model !== undefined) units.set(lineKey(gpt4o), s.model);
  return {
    lines,
    unitsByKey: units,
    poolUsed: s.pool ?? 0,
    included: 100,
    prepaidUsed: 0,
    prepaidLeft: 0,
    ...s,
  };
}

describe('what extra usage would add to the next invoice', () => {
  it.each<[string, PeriodStanding, Parameters<typeof whatIfCost>[1], number]>([
    ['inside the included credits: nothing', standing({ pool: 20 }), [{ type: 'inference', units: 50 }], 0],
    [
      'past them: only the units beyond, rounded once',
      standing({ pool: 90 }),
      [{ type: 'inference', units: 1010 }],
      300,
    ],
    ['already past: every unit', standing({ pool: 500 }), [{ type: 'embedding', units: 1000 }], 300],
    [
      'prepaid credits pay first, the rest is billed',
      standing({ pool: 100, prepaidLeft: 400 }),
      [{ type: 'inference', units: 1400 }],
      300,
    ],
    [
      'prepaid credits already drawn this period count as paid',
      standing({ pool: 100, poolUsed: 300, prepaidUsed: 200, prepaidLeft: 0 }),
      [{ type: 'inference', units: 1000 }],
      300,
    ],
    [
      'a model priced by its own line, credits never pay it',
      standing({ pool: 0, model: 5, prepaidLeft: 10_000 }),
      [{ type: 'inference', units: 20, model: 'gpt-4o' }],
      15,
    ],
    [
      'several lines add up',
      standing({ pool: 100, model: 10 }),
      [
        { type: 'inference', units: 1000, model: 'gpt-4o' },
        { type: 'tts', units: 2000 },
      ],
      1000 + 600,
    ],
  ])('%s', (_, s, extra, cents) => {
    const got = whatIfCost(s, extra);
    expect(got.extraCents).toBe(cents);
    expect(got.afterCents - got.beforeCents).toBe(got.extraCents);
  });

  it("prices a token kind on the card's line for it, and the other kinds on the model's", () => {
    const output: RateLine = { ...gpt4o, match: { model: 'gpt-4o', direction: 'output' }, included: 0 };
    const card = effectiveRateCard(
      [gpt4o, { ...output, price: { model: 'per_unit', unitAmountDecimal: '4' } }],
      100,
      300,
    );
    const s = { ...standing({ model: 10 }), lines: card };
    // 10 output tokens at 4¢; 10 input tokens on gpt-4o's own line, past its 10 free, at 1¢.
    expect(
      whatIfCost(s, [{ type: 'inference', units: 10, model: 'gpt-4o', direction: 'output' }]).extraCents,
    ).toBe(40);
    expect(
      whatIfCost(s, [{ type: 'inference', units: 10, model: 'gpt-4o', direction: 'input' }]).extraCents,
    ).toBe(10);
  });

  it('rates the period on its total, so the what-if is the difference of two rounded totals', () => {
    // 1 unit beyond included is 0.3¢ (0¢ rounded); 2 units 0.6¢ (1¢): the second unit alone adds 1¢.
    expect(whatIfCost(standing({ pool: 101 }), [{ type: 'inference', units: 1 }])).toEqual({
      beforeCents: 0,
      afterCents: 1,
      extraCents: 1,
    });
  });
});
