import fc from 'fast-check';
import {
  conversion,
  convertAmount,
  convertCents,
  parseRate,
  rateText,
} from '../../../domain/currency/exchange-rates';

describe('exchange rates', () => {
  it.each([
    ['1.08', '1.08'],
    ['1.08000000', '1.08'],
    [2, '2'],
    ['0.00000001', '0.00000001'],
  ])('%j reads as %s', (input, text) => {
    expect(rateText(parseRate(input)!)).toBe(text);
  });

  it.each(['0', '-1', '1.123456789', '1e3', '10000', '', ' ', 'NaN', 'Infinity', '1,08', '٣'])(
    'refuses %j',
    (input) => {
      expect(parseRate(input)).toBeNull();
    },
  );

  it('converts cents once, rounding half away from zero', () => {
    expect(convertCents(4500, parseRate('1.08')!)).toBe(4860);
    expect(convertCents(1, parseRate('0.5')!)).toBe(1);
    expect(convertCents(-1, parseRate('0.5')!)).toBe(-1);
    expect(convertCents(3, parseRate('0.16666667')!)).toBe(1);
    expect(convertCents(99_999_999_999, parseRate('9999.99999999')!)).toBe(999_999_999_989_000);
  });

  it('agrees with exact rational arithmetic for any amount and rate', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1e12, max: 1e12 }),
        fc.integer({ min: 1, max: 99_999_999_999 }),
        (cents, scaled) => {
          const exact =
            (BigInt(cents) * BigInt(scaled) * 2n + (cents < 0 ? -1n : 1n) * 100_000_000n) / 200_000_000n;
          expect(convertCents(cents, BigInt(scaled))).toBe(Number(exact));
        },
      ),
    );
  });

  describe('between two currencies, through the reporting one', () => {
    const rates = { reportingCurrency: 'eur', rates: { usd: '0.9', gbp: '1.15' } };
    it.each<[string, string, bigint | null]>([
      ['usd', 'eur', 90n],
      ['eur', 'usd', 111n],
      ['usd', 'gbp', 78n],
      ['gbp', 'usd', 128n],
      ['usd', 'usd', 100n],
      ['chf', 'eur', null],
      ['usd', 'chf', null],
    ])('100 %s is %s %s', (from, to, amount) => {
      const c = conversion(rates, from, to);
      expect(c === null ? null : convertAmount(100n, c)).toBe(amount);
    });

    it('rounds half away from zero, either sign', () => {
      const half = conversion({ reportingCurrency: 'usd', rates: { eur: '0.5' } }, 'eur', 'usd')!;
      expect([convertAmount(1n, half), convertAmount(-1n, half), convertAmount(2n, half)]).toEqual([
        1n,
        -1n,
        1n,
      ]);
    });

    it('agrees with exact rational arithmetic for any amount and pair of rates', () => {
      fc.assert(
        fc.property(
          fc.bigInt({ min: -(10n ** 24n), max: 10n ** 24n }),
          fc.integer({ min: 1, max: 99_999_999_999 }),
          fc.integer({ min: 1, max: 99_999_999_999 }),
          (amount, from, to) => {
            const c = conversion(
              { reportingCurrency: 'usd', rates: { eur: rateText(BigInt(from)), gbp: rateText(BigInt(to)) } },
              'eur',
              'gbp',
            )!;
            const num = amount * BigInt(from);
            const sign = num < 0n ? -1n : 1n;
            const exact = (2n * num + sign * BigInt(to)) / (2n * BigInt(to));
            expect(convertAmount(amount, c)).toBe(exact);
          },
        ),
      );
    });
  });
});
