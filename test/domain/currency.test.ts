import fc from 'fast-check';
import {
  checkoutCurrency,
  convertCents,
  currencyFromAcceptLanguage,
  currencyPriceRefusal,
  offeredCurrencies,
  packPriceIn,
  packPricesRefusal,
  parseCurrency,
  parseRate,
  rateText,
  termsFor,
  termsIn,
  withCurrencyPrices,
  type PricedPlan,
} from '../../domain/currency';
import type { RateLine } from '../../domain/rate-card';

const outputTokens = (unitAmountDecimal: string, included = 0): RateLine => ({
  usageType: 'tokens',
  match: { direction: 'output' },
  byok: false,
  included,
  price: { model: 'per_unit', unitAmountDecimal },
});

const plan = (over: Partial<PricedPlan> = {}): PricedPlan => ({
  currency: 'usd',
  priceMonthlyCents: 4900,
  priceYearlyCents: 49000,
  overagePer1kCents: 10,
  rateCard: [outputTokens('0.002')],
  currencyPrices: {
    eur: {
      priceMonthlyCents: 4500,
      priceYearlyCents: 45000,
      overagePer1kCents: 9,
      rateCard: [outputTokens('0.0018')],
    },
  },
  ...over,
});

describe('a plan in several currencies', () => {
  it('answers its own terms in its own currency and the added terms in another', () => {
    expect(termsIn(plan(), 'usd')).toMatchObject({ priceMonthlyCents: 4900, overagePer1kCents: 10 });
    expect(termsIn(plan(), 'eur')).toMatchObject({ priceMonthlyCents: 4500, overagePer1kCents: 9 });
    expect(termsIn(plan(), 'eur')?.rateCard[0]?.price).toEqual({
      model: 'per_unit',
      unitAmountDecimal: '0.0018',
    });
  });

  it('is not sold in a currency it has no prices in, whatever the name', () => {
    expect(termsIn(plan(), 'gbp')).toBeNull();
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty'])
      expect(termsIn(plan(), name)).toBeNull();
  });

  it('rates a subscription in a currency it no longer sells by its own terms, never at zero', () => {
    expect(termsFor(plan({ currencyPrices: {} }), 'eur').overagePer1kCents).toBe(10);
  });

  it('lists its own currency first, then the others in order', () => {
    const p = plan({
      currencyPrices: { gbp: plan().currencyPrices.eur!, eur: plan().currencyPrices.eur! },
    });
    expect(offeredCurrencies(p)).toEqual(['usd', 'eur', 'gbp']);
  });
});

describe('prices in another currency are refused when they would change the terms', () => {
  const eur = plan().currencyPrices.eur!;
  it.each([
    ['a currency we do not price in', 'jpy', eur, 'currency_not_supported', 'jpy'],
    ['the plan’s own currency', 'usd', eur, 'currency_is_base', 'usd'],
    [
      'a yearly price the plan does not have',
      'eur',
      { ...eur, priceYearlyCents: null },
      'currency_cycles_differ',
      'eur.price_yearly_cents',
    ],
    ['a card of other lines', 'eur', { ...eur, rateCard: [] }, 'currency_rate_card_differs', 'eur.rate_card'],
    [
      'other included units',
      'eur',
      { ...eur, rateCard: [outputTokens('0.0018', 1000)] },
      'currency_rate_card_differs',
      'eur.rate_card.0.included',
    ],
  ])('%s', (_label, currency, terms, code, field) => {
    expect(currencyPriceRefusal(plan(), currency, terms)).toMatchObject({ code, field });
  });

  it('takes the same lines at other prices', () => {
    expect(currencyPriceRefusal(plan(), 'eur', eur)).toBeNull();
  });
});

describe('setting the prices of other currencies', () => {
  const stored = {
    eur: {
      ...plan().currencyPrices.eur!,
      stripePriceMonthlyId: 'price_m',
      stripePriceYearlyId: 'price_y',
      stripeUsagePriceMonthlyId: 'price_um',
      stripeUsagePriceYearlyId: 'price_uy',
    },
  };

  it('keeps the Stripe prices of amounts that did not change', () => {
    const next = withCurrencyPrices(stored, {
      eur: { ...plan().currencyPrices.eur!, priceYearlyCents: 44000 },
    });
    expect(next.eur).toMatchObject({
      stripePriceMonthlyId: 'price_m',
      stripePriceYearlyId: null,
      stripeUsagePriceMonthlyId: 'price_um',
    });
  });

  it('drops a currency left out', () => {
    expect(withCurrencyPrices(stored, {})).toEqual({});
  });
});

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

describe('the currency Accept-Language suggests', () => {
  const offered = ['usd', 'eur', 'gbp'];
  it.each([
    ['de-DE,de;q=0.9,en;q=0.8', 'eur'],
    ['en-GB', 'gbp'],
    ['en-US,en;q=0.5', 'usd'],
    ['fr', 'eur'],
    ['de-CH', null],
    ['en;q=0.2, de-AT;q=0.9', 'eur'],
    ['sv-SE', null],
    ['*', null],
    ['de-DE;q=0', null],
    ['', null],
    ['\u0000de-DE', null],
  ])('%j → %s', (header, want) => {
    expect(currencyFromAcceptLanguage(header, offered)).toBe(want);
  });

  it('reads no further than the first thousand characters', () => {
    expect(currencyFromAcceptLanguage(`${'x-'.repeat(600)}q,de-DE`, offered)).toBeNull();
    expect(currencyFromAcceptLanguage(`${'en-US;q=0.1,'.repeat(10)}de-DE`, offered)).toBe('eur');
  });

  it('never throws and answers only an offered currency, whatever the header', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (header) => {
        const got = currencyFromAcceptLanguage(header, offered);
        expect(got === null || offered.includes(got)).toBe(true);
      }),
    );
  });
});

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
});

describe('credit packs in several currencies', () => {
  const pack = { currency: 'usd', priceCents: 2000, currencyPrices: { eur: 1800 } };
  it('costs its price in each currency it is sold in, and nothing else', () => {
    expect(packPriceIn(pack, 'usd')).toBe(2000);
    expect(packPriceIn(pack, 'eur')).toBe(1800);
    expect(packPriceIn(pack, 'gbp')).toBeNull();
    expect(packPriceIn(pack, 'constructor')).toBeNull();
  });

  it('refuses a currency not priced in, or its own again', () => {
    expect(packPricesRefusal('usd', { jpy: 100 })).toMatchObject({
      code: 'currency_not_supported',
      field: 'jpy',
    });
    expect(packPricesRefusal('usd', { usd: 100 })).toMatchObject({ code: 'currency_is_base' });
    expect(packPricesRefusal('usd', { eur: 100 })).toBeNull();
  });
});

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
