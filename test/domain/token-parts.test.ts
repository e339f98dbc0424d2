import fc from 'fast-check';
import { TOKEN_KINDS, type TokenKind } from '../../domain/model-costs/costs';
import { effectiveRateCard, lineFor, lineKey, type RateLine } from '../../domain/rate-card';
import { rateUsage } from '../../domain/rate-card-rating';
import { pricedParts, tokenCountsOf } from '../../domain/token-parts';

const perUnit = (unitAmountDecimal: string) => ({ model: 'per_unit' as const, unitAmountDecimal });
const line = (usageType: string, match: Record<string, string>, price: string, byok = false): RateLine => ({
  usageType,
  match,
  byok,
  included: 0,
  price: perUnit(price),
});

// gpt-4o's input and output priced apart, its other kinds on its own line; other models on inference's.
const card = effectiveRateCard(
  [
    line('inference', {}, '0.1'),
    line('inference', { model: 'gpt-4o' }, '0.0005'),
    line('inference', { model: 'gpt-4o', direction: 'input' }, '0.00025'),
    line('inference', { model: 'gpt-4o', direction: 'output' }, '0.001'),
    line('inference', { model: 'o3', direction: 'reasoning' }, '0.004'),
    line('inference', { model: 'o3', direction: 'output' }, '0.002'),
    line('inference', { direction: 'output' }, '0.003', true),
  ],
  0,
  200,
);

type Case = [
  string,
  { byok?: boolean; quantity: number; metadata: Record<string, unknown>; paidAhead?: number },
  string[],
];

describe('which lines price the token kinds of one event', () => {
  test.each<Case>([
    [
      'each kind on the line naming it, a kind without one on the model line, reasoning as output',
      {
        quantity: 1,
        metadata: { model: 'gpt-4o', tokens: { input: 1000, cached: 300, output: 200, reasoning: 50 } },
      },
      [
        'input 1000 inference[direction=input,model=gpt-4o]',
        'cached 300 inference[model=gpt-4o]',
        'output 200 inference[direction=output,model=gpt-4o]',
        'reasoning 50 inference[direction=output,model=gpt-4o]',
      ],
    ],
    [
      'reasoning on a line that names it',
      { quantity: 1, metadata: { model: 'o3', tokens: { input: 10, reasoning: 70, output: 20 } } },
      [
        'input 10 inference',
        'output 20 inference[direction=output,model=o3]',
        'reasoning 70 inference[direction=reasoning,model=o3]',
      ],
    ],
    [
      'kinds of no count are left out',
      { quantity: 9, metadata: { model: 'gpt-4o', tokens: { input: 0, output: 40 } } },
      ['output 40 inference[direction=output,model=gpt-4o]'],
    ],
    [
      'an event that names its direction is priced whole, on it',
      { quantity: 500, metadata: { model: 'gpt-4o', direction: 'output', tokens: { input: 1, output: 2 } } },
      ['whole 500 inference[direction=output,model=gpt-4o]'],
    ],
    [
      'no line names a kind it counts: its quantity, on one line',
      { quantity: 77, metadata: { model: 'claude-sonnet-4', tokens: { input: 60, output: 17 } } },
      ['whole 77 inference'],
    ],
    [
      'only kinds without lines of their own: whole',
      { quantity: 12, metadata: { model: 'gpt-4o', tokens: { cached: 500 } } },
      ['whole 12 inference[model=gpt-4o]'],
    ],
    [
      'no counts: whole',
      { quantity: 30, metadata: { model: 'gpt-4o' } },
      ['whole 30 inference[model=gpt-4o]'],
    ],
    [
      'counts that are not counts are none',
      { quantity: 30, metadata: { model: 'gpt-4o', tokens: { input: '5' } } },
      ['whole 30 inference[model=gpt-4o]'],
    ],
    [
      'credits paid some of it: whole, as they paid its quantity',
      { quantity: 8, paidAhead: 2, metadata: { model: 'gpt-4o', tokens: { input: 9, output: 1 } } },
      ['whole 8 inference[model=gpt-4o]'],
    ],
    [
      'BYOK: the kinds a BYOK line names are billed, the rest are free',
      { byok: true, quantity: 5, metadata: { model: 'gpt-4o', tokens: { input: 400, output: 30 } } },
      ['output 30 byok:inference[direction=output]'],
    ],
  ])('%s', (_name, e, expected) => {
    const parts = pricedParts(card, { type: 'inference', byok: e.byok ?? false, ...e });
    expect(parts.map((p) => `${p.kind ?? 'whole'} ${p.units} ${lineKey(p.line)}`)).toEqual(expected);
  });

  test('a pooled type is never split: no line names its kinds', () => {
    const parts = pricedParts(card, {
      type: 'tts',
      byok: false,
      quantity: 3,
      metadata: { model: 'gpt-4o', tokens: { input: 1, output: 2 } },
    });
    expect(parts.map((p) => [p.kind, p.units, lineKey(p.line)])).toEqual([[null, 3, '*']]);
  });

  test('counts read from stored metadata, absent kinds as 0', () => {
    expect(tokenCountsOf({ tokens: { output: 3 } })).toEqual({
      input: 0,
      cached: 0,
      output: 3,
      reasoning: 0,
    });
    expect(tokenCountsOf({ tokens: [] })).toBeNull();
    expect(tokenCountsOf({})).toBeNull();
  });
});

describe('one event with counts bills what one event per kind would', () => {
  const kinds = fc.record(
    Object.fromEntries(TOKEN_KINDS.map((k) => [k, fc.integer({ min: 0, max: 1_000_000 })])) as Record<
      TokenKind,
      fc.Arbitrary<number>
    >,
  );
  const models = ['gpt-4o', 'o3', 'claude-sonnet-4'];
  test('the period cost of the parts equals that of per-direction events', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ model: fc.constantFrom(...models), counts: kinds }), {
          minLength: 1,
          maxLength: 20,
        }),
        (calls) => {
          const apart = new Map<string, number>();
          const perKind = new Map<string, number>();
          const add = (m: Map<string, number>, l: RateLine | null, n: number) => {
            if (l) m.set(lineKey(l), (m.get(lineKey(l)) ?? 0) + n);
          };
          for (const { model, counts } of calls) {
            const event = { type: 'inference', byok: false, metadata: { model, tokens: counts } };
            const parts = pricedParts(card, { ...event, quantity: 1 });
            const wholeQuantity = parts.length === 1 && parts[0]?.kind === null;
            for (const p of parts) add(apart, p.line, p.units);
            // The model: a gateway that reports one event per kind, reasoning as output unless a line
            // names reasoning (o3's card does), and the whole call as one unit when no kind has a line.
            const own = (k: TokenKind) =>
              lineFor(card, { ...event, metadata: { model, direction: k } })?.match.direction === k;
            if (wholeQuantity) {
              add(perKind, lineFor(card, event), 1);
              continue;
            }
            for (const k of TOKEN_KINDS) {
              if (counts[k] === 0) continue;
              const direction = k === 'reasoning' && !own('reasoning') ? 'output' : k;
              add(perKind, lineFor(card, { ...event, metadata: { model, direction } }), counts[k]);
            }
          }
          expect(rateUsage(card, apart)).toEqual(rateUsage(card, perKind));
        },
      ),
    );
  });
});
