import fc from 'fast-check';
import { preferredLanguages } from '../../../api/http/accept-language';
import { currencyForLanguages } from '../../../domain/currency/locale';

describe('the languages Accept-Language prefers', () => {
  it.each([
    ['de-DE,de;q=0.9,en;q=0.8', ['de-DE', 'de', 'en']],
    ['en;q=0.2, de-AT;q=0.9', ['de-AT', 'en']],
    ['fr;q=0.5,it;q=0.5,es', ['es', 'fr', 'it']],
    ['de-DE;q=0,fr', ['fr']],
    ['en;q=2,fr', ['en', 'fr']],
    ['*', []],
    ['', []],
    [undefined, []],
    ['\u0000de-DE', []],
  ])('%j → %j', (header, want) => {
    expect(preferredLanguages(header)).toEqual(want);
  });

  it('reads no more than 32 entries', () => {
    expect(preferredLanguages(`${'en,'.repeat(32)}de`)).toHaveLength(32);
    expect(preferredLanguages(`${'en,'.repeat(32)}de`)).not.toContain('de');
  });
});

describe('the currency Accept-Language suggests', () => {
  const offered = ['usd', 'eur', 'gbp'];
  const suggested = (header: string) => currencyForLanguages(preferredLanguages(header), offered);
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
    expect(suggested(header)).toBe(want);
  });

  it('reads no further than the first thousand characters', () => {
    expect(suggested(`${'x-'.repeat(600)}q,de-DE`)).toBeNull();
    expect(suggested(`${'en-US;q=0.1,'.repeat(10)}de-DE`)).toBe('eur');
  });

  it('never throws and answers only an offered currency, whatever the header', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (header) => {
        const got = suggested(header);
        expect(got === null || offered.includes(got)).toBe(true);
      }),
    );
  });
});
