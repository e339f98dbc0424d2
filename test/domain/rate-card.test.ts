import { effectiveRateCard, lineFor, lineKey, unpooledTypes } from '../../domain/rate-card';

describe('which line prices an event', () => {
  const card = effectiveRateCard(
    [
      {
        usageType: 'inference',
        match: {},
        byok: false,
        included: 0,
        price: { model: 'per_unit', unitAmountDecimal: '1' },
      },
      {
        usageType: 'inference',
        match: { model: 'gpt-4o' },
        byok: false,
        included: 0,
        price: { model: 'per_unit', unitAmountDecimal: '2' },
      },
      {
        usageType: 'inference',
        match: { model: 'gpt-4o', direction: 'output' },
        byok: false,
        included: 0,
        price: { model: 'per_unit', unitAmountDecimal: '3' },
      },
      {
        usageType: '*',
        match: {},
        byok: true,
        included: 0,
        price: { model: 'per_unit', unitAmountDecimal: '0.01' },
      },
      {
        usageType: 'embedding',
        match: {},
        byok: true,
        included: 0,
        price: { model: 'per_unit', unitAmountDecimal: '0.02' },
      },
    ],
    0,
    200,
  );
  test.each<[string, { type: string; byok: boolean; metadata: Record<string, unknown> }, string | null]>([
    ["a type no line names is the pool's", { type: 'tts', byok: false, metadata: { model: 'gpt-4o' } }, '*'],
    ['a named type without dimensions', { type: 'inference', byok: false, metadata: {} }, 'inference'],
    [
      'one dimension matched',
      { type: 'inference', byok: false, metadata: { model: 'gpt-4o', direction: 'input' } },
      'inference[model=gpt-4o]',
    ],
    [
      'the most dimensions win',
      { type: 'inference', byok: false, metadata: { direction: 'output', model: 'gpt-4o' } },
      'inference[direction=output,model=gpt-4o]',
    ],
    [
      'values match exactly, case included',
      { type: 'inference', byok: false, metadata: { model: 'GPT-4o' } },
      'inference',
    ],
    [
      'a number never matches a string value',
      { type: 'inference', byok: false, metadata: { model: 4 } },
      'inference',
    ],
    ['BYOK usage of a named BYOK type', { type: 'embedding', byok: true, metadata: {} }, 'byok:embedding'],
    [
      'BYOK usage of any other type',
      { type: 'inference', byok: true, metadata: { model: 'gpt-4o' } },
      'byok:*',
    ],
  ])('%s', (_name, event, key) => {
    const found = lineFor(card, event);
    expect(found ? lineKey(found) : null).toBe(key);
  });

  test('BYOK usage no line prices is free', () => {
    expect(
      lineFor(effectiveRateCard([], 0, 200), { type: 'inference', byok: true, metadata: {} }),
    ).toBeNull();
  });

  test('the types a card names leave the credit pool; BYOK lines take nothing out', () => {
    expect([...unpooledTypes(card)]).toEqual(['inference']);
  });
});
