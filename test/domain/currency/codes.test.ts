import { parseCurrency } from '../../../domain/currency/codes';

describe('reading a currency', () => {
  it.each([
    ['eur', 'eur'],
    [' EUR ', 'eur'],
    ['jpy', null],
    ['eu', null],
    [42, null],
    [null, null],
  ])('%j → %s', (input, want) => {
    expect(parseCurrency(input)).toBe(want);
  });
});
