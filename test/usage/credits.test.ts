import {
  creditsFor,
  includedCreditsPerPeriod,
  perUnitCentsDecimal,
  rollupIdentifier,
  secondsUntil,
  windowStartOf,
} from '../../domain/usage';

describe('usage arithmetic', () => {
  it('prices the overage of seed 001 in whole cents: 85 units at 200¢ per 1k is 17¢', () => {
    expect(
      creditsFor({ tier: 'professional', includedCredits: 500, overagePer1kCents: 200, used: 585 }),
    ).toEqual({
      tier: 'professional',
      included: 500,
      used: 585,
      remaining: 0,
      overage: 85,
      overageCostCents: 17,
      pricePer1kCents: 200,
    });
  });

  it('rounds half a cent away from zero and charges nothing within the included credits', () => {
    expect(
      creditsFor({ tier: 's', includedCredits: 100, overagePer1kCents: 300, used: 105 }).overageCostCents,
    ).toBe(2);
    expect(creditsFor({ tier: 's', includedCredits: 100, overagePer1kCents: 300, used: 40 })).toMatchObject({
      remaining: 60,
      overage: 0,
      overageCostCents: 0,
    });
  });

  it('names a rollup by customer, type and window, with a sequence for late events', () => {
    const start = windowStartOf(Date.parse('2026-03-10T10:03:27Z'), 300_000);
    expect(new Date(start).toISOString()).toBe('2026-03-10T10:00:00.000Z');
    expect(rollupIdentifier('cust_1', 'inference', start)).toBe('cust_1:inference:2026-03-10T10:00:00.000Z');
    expect(rollupIdentifier('cust_1', 'inference', start, 2)).toBe(
      'cust_1:inference:2026-03-10T10:00:00.000Z#2',
    );
  });

  it('counts Retry-After in whole seconds until the reset', () => {
    expect(secondsUntil(new Date('2026-03-11T00:00:00Z'), new Date('2026-03-10T23:59:59.200Z'))).toBe(1);
  });

  it('writes a per-1k price as the exact per-unit decimal the metered Stripe price carries', () => {
    expect(perUnitCentsDecimal(200)).toBe('0.2');
    expect(perUnitCentsDecimal(150)).toBe('0.15');
    expect(perUnitCentsDecimal(7)).toBe('0.007');
    expect(perUnitCentsDecimal(2500)).toBe('2.5');
    expect(perUnitCentsDecimal(3000)).toBe('3');
    expect(() => perUnitCentsDecimal(1.5)).toThrow(RangeError);
  });

  it('gives a yearly period twelve months of included credits', () => {
    expect(includedCreditsPerPeriod(500, 'month')).toBe(500);
    expect(includedCreditsPerPeriod(500, 'year')).toBe(6000);
  });
});
