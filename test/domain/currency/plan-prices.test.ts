import { currencyPriceRefusal, withCurrencyPrices } from '../../../domain/currency/plan-price-changes';
import { offeredCurrencies, termsFor, termsIn, type PricedPlan } from '../../../domain/currency/plan-terms';
import type { RateLine } from '../../../domain/rate-card';

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
