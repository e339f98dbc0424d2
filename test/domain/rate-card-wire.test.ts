import { parseRateCard, rateCardView } from '../../domain/rate-card-wire';

describe('reading a card an admin sends', () => {
  const ok = (input: unknown) => {
    const parsed = parseRateCard(input);
    if ('field' in parsed) throw new Error(`${parsed.field}: ${parsed.message}`);
    return parsed.lines;
  };
  const refused = (input: unknown) => {
    const parsed = parseRateCard(input);
    if (!('field' in parsed)) throw new Error('accepted');
    return parsed.field;
  };
  const per = (d: string) => ({ model: 'per_unit', unit_amount_decimal: d });

  test('a card read back from the API is accepted again unchanged', () => {
    const input = [
      { usage_type: 'inference', price: per('0.2') },
      {
        usage_type: 'inference',
        match: { model: 'gpt-4o' },
        included: 1000,
        price: {
          model: 'graduated',
          tiers: [
            { up_to: 10, unit_amount_decimal: '1' },
            { up_to: null, unit_amount_decimal: '0.5', flat_amount_cents: 3 },
          ],
        },
      },
      { usage_type: '*', byok: true, price: { model: 'package', package_size: 100, amount_cents: 1 } },
    ];
    const lines = ok(input);
    expect(ok(rateCardView(lines))).toEqual(lines);
    expect(rateCardView(lines).map((l) => l.key)).toEqual(['inference', 'inference[model=gpt-4o]', 'byok:*']);
  });

  test.each<[string, unknown, string]>([
    ['not a list', { usage_type: 'x' }, 'rate_card'],
    ['a line that is not an object', [7], 'rate_card.0'],
    ['an unknown field', [{ usage_type: 'a', price: per('1'), colour: 'red' }], 'rate_card.0.colour'],
    [
      'a hosted "*" line (the plan\'s credits are that)',
      [{ usage_type: '*', price: per('1') }],
      'rate_card.0.usage_type',
    ],
    ['a type with a capital', [{ usage_type: 'Inference', price: per('1') }], 'rate_card.0.usage_type'],
    [
      'a control character in a dimension value',
      [
        { usage_type: 'a', price: per('1') },
        { usage_type: 'a', match: { model: 'x\u0000' }, price: per('1') },
      ],
      'rate_card.1.match.model',
    ],
    [
      'a dimension value that is a number',
      [
        { usage_type: 'a', price: per('1') },
        { usage_type: 'a', match: { model: 4 }, price: per('1') },
      ],
      'rate_card.1.match.model',
    ],
    [
      'five dimensions',
      [{ usage_type: 'a', match: { a: '1', b: '1', c: '1', d: '1', e: '1' }, price: per('1') }],
      'rate_card.0.match',
    ],
    [
      "a dimension line without its type's own line",
      [{ usage_type: 'a', match: { model: 'm' }, price: per('1') }],
      'rate_card.0.match',
    ],
    [
      'the same line twice',
      [
        { usage_type: 'a', price: per('1') },
        { usage_type: 'a', price: per('2') },
      ],
      'rate_card.1',
    ],
    ['a negative included', [{ usage_type: 'a', included: -1, price: per('1') }], 'rate_card.0.included'],
    ['a fractional included', [{ usage_type: 'a', included: 1.5, price: per('1') }], 'rate_card.0.included'],
    ['an unknown model', [{ usage_type: 'a', price: { model: 'free' } }], 'rate_card.0.price.model'],
    [
      'a price as a number',
      [{ usage_type: 'a', price: { model: 'per_unit', unit_amount_decimal: 0.2 } }],
      'rate_card.0.price.unit_amount_decimal',
    ],
    ['a negative price', [{ usage_type: 'a', price: per('-1') }], 'rate_card.0.price.unit_amount_decimal'],
    [
      'thirteen decimals',
      [{ usage_type: 'a', price: per('0.0000000000001') }],
      'rate_card.0.price.unit_amount_decimal',
    ],
    ['an exponent', [{ usage_type: 'a', price: per('1e3') }], 'rate_card.0.price.unit_amount_decimal'],
    [
      'a package of zero',
      [{ usage_type: 'a', price: { model: 'package', package_size: 0, amount_cents: 1 } }],
      'rate_card.0.price.package_size',
    ],
    ['no tiers', [{ usage_type: 'a', price: { model: 'volume', tiers: [] } }], 'rate_card.0.price.tiers'],
    [
      'tiers out of order',
      [
        {
          usage_type: 'a',
          price: { model: 'graduated', tiers: [{ up_to: 10 }, { up_to: 5 }, { up_to: null }] },
        },
      ],
      'rate_card.0.price.tiers.1.up_to',
    ],
    [
      'a last tier with an end',
      [{ usage_type: 'a', price: { model: 'graduated', tiers: [{ up_to: 10 }] } }],
      'rate_card.0.price.tiers.0.up_to',
    ],
    [
      'a field of another model',
      [{ usage_type: 'a', price: { model: 'per_unit', unit_amount_decimal: '1', tiers: [] } }],
      'rate_card.0.price.tiers',
    ],
    [
      'a huge flat fee',
      [{ usage_type: 'a', price: { model: 'volume', tiers: [{ up_to: null, flat_amount_cents: 1e12 }] } }],
      'rate_card.0.price.tiers.0.flat_amount_cents',
    ],
    [
      '101 lines',
      Array.from({ length: 101 }, (_, i) => ({ usage_type: `t${i}`, price: per('1') })),
      'rate_card',
    ],
  ])('refuses %s, naming the field', (_name, input, field) => {
    expect(refused(input)).toBe(field);
  });
});
