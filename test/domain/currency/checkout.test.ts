import { checkoutCurrency } from '../../../domain/currency/checkout';

describe('the currency a checkout bills in', () => {
  it.each([
    [null, null, { currency: undefined }],
    [null, 'EUR', { currency: 'eur' }],
    ['eur', null, { currency: 'eur' }],
    ['eur', 'eur', { currency: 'eur' }],
    ['eur', 'usd', { kind: 'conflict', code: 'currency_fixed' }],
    [null, 'jpy', { kind: 'invalid', code: 'currency_not_supported' }],
    [null, 'e\u0000ur', { kind: 'invalid', code: 'currency_not_supported' }],
  ])('fixed %s, asked %s', (fixed, asked, want) => {
    expect(checkoutCurrency(fixed, asked)).toMatchObject(want);
  });
});
