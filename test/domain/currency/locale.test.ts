import { currencyForLanguages } from '../../../domain/currency/locale';

describe('the currency preferred languages suggest', () => {
  const offered = ['usd', 'eur', 'gbp', 'chf'];
  it.each([
    [['de-AT'], 'eur'],
    [['de-CH'], 'chf'],
    [['de'], 'eur'],
    [['EN-gb'], 'gbp'],
    [['zh-Hant-HK'], null],
    [['sv-SE', 'en-US'], 'usd'],
    [['ja', 'fr'], 'eur'],
    [['en'], null],
    [[], null],
  ])('%j → %s', (tags, want) => {
    expect(currencyForLanguages(tags, offered)).toBe(want);
  });

  it('names only an offered currency, the first preferred one that is', () => {
    expect(currencyForLanguages(['de-CH', 'en-GB'], ['usd', 'gbp'])).toBe('gbp');
    expect(currencyForLanguages(['de-CH'], ['usd'])).toBeNull();
  });
});
