import { moneyFields, nullableMoneyFields } from '../../api/routes/money-fields';

describe('dollars beside cents in every answer', () => {
  it.each([
    [1999, 19.99],
    [0, 0],
    [-500, -5],
    [1, 0.01],
  ])('%i cents is written as %d dollars beside it', (cents, dollars) => {
    expect(moneyFields('amount', cents)).toEqual({ amount: dollars, amount_cents: cents });
  });

  it('refuses a fraction of a cent instead of writing a dollar figure the cents do not explain', () => {
    expect(() => moneyFields('total', 10.5)).toThrow(RangeError);
  });

  it('writes both fields null for an absent amount', () => {
    expect(nullableMoneyFields('mrr', null)).toEqual({ mrr: null, mrr_cents: null });
    expect(nullableMoneyFields('mrr', 4900)).toEqual({ mrr: 49, mrr_cents: 4900 });
  });
});
