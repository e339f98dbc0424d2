import { ConfigError, loadConfig } from '../../config/env';

describe('rate limit settings', () => {
  it('default to 20 Stripe calls, 5 key tests and 30 invoice PDFs a minute per caller', () => {
    const config = loadConfig({ NODE_ENV: 'test' });
    expect([
      config.RATE_LIMIT_STRIPE_PER_MINUTE,
      config.RATE_LIMIT_KEY_TESTS_PER_MINUTE,
      config.RATE_LIMIT_PDF_PER_MINUTE,
    ]).toEqual([20, 5, 30]);
  });

  it.each(['0', '-1', '1.5', 'twenty', '1e9', 'Infinity', '9999999999'])(
    'refuse %j, naming the variable',
    (value) => {
      for (const name of [
        'RATE_LIMIT_STRIPE_PER_MINUTE',
        'RATE_LIMIT_KEY_TESTS_PER_MINUTE',
        'RATE_LIMIT_PDF_PER_MINUTE',
      ]) {
        expect(() => loadConfig({ NODE_ENV: 'test', [name]: value })).toThrow(ConfigError);
        expect(() => loadConfig({ NODE_ENV: 'test', [name]: value })).toThrow(name);
      }
    },
  );

  it('take a chosen whole number', () => {
    expect(
      loadConfig({ NODE_ENV: 'test', RATE_LIMIT_KEY_TESTS_PER_MINUTE: '2' }).RATE_LIMIT_KEY_TESTS_PER_MINUTE,
    ).toBe(2);
  });
});
