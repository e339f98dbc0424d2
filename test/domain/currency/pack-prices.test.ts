import { packPriceIn, packPricesRefusal } from '../../../domain/currency/pack-prices';

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
