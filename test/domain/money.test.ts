import { centsToDollars, divRound, dollarsToCents } from '../../domain/money';

describe('money in minor units', () => {
  it('parses decimal strings to cents without float drift', () => {
    expect(dollarsToCents('19.99')).toBe(1999);
    expect(dollarsToCents('0.1')).toBe(10);
    expect(dollarsToCents(49)).toBe(4900);
    expect(dollarsToCents('-2.05')).toBe(-205);
  });

  it('rejects amounts with more than two decimals or no digits', () => {
    expect(() => dollarsToCents('1.005')).toThrow(RangeError);
    expect(() => dollarsToCents('abc')).toThrow(RangeError);
  });

  it('shows cents as dollars only for output and refuses fractional cents', () => {
    expect(centsToDollars(4900)).toBe(49);
    expect(centsToDollars(17)).toBe(0.17);
    expect(() => centsToDollars(1.5)).toThrow(RangeError);
  });

  it('rounds integer division half away from zero', () => {
    expect(divRound(85 * 200, 1000)).toBe(17);
    expect(divRound(5, 2)).toBe(3);
    expect(divRound(-5, 2)).toBe(-3);
    expect(divRound(4, 3)).toBe(1);
    expect(() => divRound(1, 0)).toThrow(RangeError);
  });
});
