import fc from 'fast-check';
import {
  annualizedCents,
  BILLING_INTERVALS,
  monthsPerPeriod,
  mrrCents,
  mrrFromArrCents,
  periodsPerYear,
  recurringAmountCents,
} from '../../domain/plan-change';

const m = (amountCents: number) => ({ amountCents, interval: 'month' as const });
const y = (amountCents: number) => ({ amountCents, interval: 'year' as const });

describe('recurring revenue by billing cycle', () => {
  it.each`
    interval   | months | periods
    ${'month'} | ${1}   | ${12}
    ${'year'}  | ${12}  | ${1}
  `(
    'a $interval period covers $months month(s) and recurs $periods time(s) a year',
    ({ interval, months, periods }) => {
      expect(monthsPerPeriod(interval)).toBe(months);
      expect(periodsPerYear(interval)).toBe(periods);
    },
  );

  it('knows exactly the monthly and yearly cycles', () => {
    expect([...BILLING_INTERVALS]).toEqual(['month', 'year']);
  });

  it.each`
    status         | terms       | mrr
    ${'active'}    | ${m(1900)}  | ${1900}
    ${'past_due'}  | ${m(4900)}  | ${4900}
    ${'active'}    | ${y(19000)} | ${1583}
    ${'active'}    | ${y(49000)} | ${4083}
    ${'active'}    | ${y(18)}    | ${2}
    ${'active'}    | ${y(17)}    | ${1}
    ${'trialing'}  | ${m(1900)}  | ${0}
    ${'paused'}    | ${y(19000)} | ${0}
    ${'suspended'} | ${m(1900)}  | ${0}
    ${'expired'}   | ${m(1900)}  | ${0}
  `(
    'MRR of a $status subscription at $terms.amountCents/$terms.interval is $mrr, rounded half away from zero',
    ({ status, terms, mrr }) => {
      expect(mrrCents(status, terms)).toBe(mrr);
    },
  );

  it.each`
    arr       | mrr
    ${0}      | ${0}
    ${22800}  | ${1900}
    ${19006}  | ${1584}
    ${19005}  | ${1584}
    ${19004}  | ${1584}
    ${19002}  | ${1584}
    ${19001}  | ${1583}
    ${-19005} | ${-1584}
  `('ARR of $arr cents is MRR of $mrr cents', ({ arr, mrr }) => {
    expect(mrrFromArrCents(arr)).toBe(mrr);
  });

  it('gives a monthly price back as its MRR, whatever the amount', () => {
    for (const cents of [1, 99, 1900, 4900, 123_457]) {
      expect(mrrFromArrCents(annualizedCents(m(cents)))).toBe(cents);
    }
  });
});

describe('recurring revenue net of discounts', () => {
  const at = new Date('2026-06-15T00:00:00Z');
  const discount = (over: object) => ({ start: '2026-06-01T00:00:00Z', end: null, ...over });

  it.each([
    ['no discount', null, 4900],
    ['20 % for ever', discount({ percentOffBp: 2000, amountOffCents: null }), 3920],
    ['12.5 % rounds half away from zero', discount({ percentOffBp: 1250, amountOffCents: null }), 4287],
    ['$5.00 off', discount({ percentOffBp: null, amountOffCents: 500 }), 4400],
    ['more off than the price', discount({ percentOffBp: null, amountOffCents: 9900 }), 0],
    ['a once coupon', discount({ percentOffBp: 2000, amountOffCents: null, recurring: false }), 4900],
    [
      'repeating, still running',
      discount({ percentOffBp: 2000, amountOffCents: null, end: '2026-09-01T00:00:00Z' }),
      3920,
    ],
    [
      'repeating, ended',
      discount({ percentOffBp: 2000, amountOffCents: null, end: '2026-06-15T00:00:00Z' }),
      4900,
    ],
    [
      'not started yet',
      discount({ percentOffBp: 2000, amountOffCents: null, start: '2026-07-01T00:00:00Z' }),
      4900,
    ],
    ['terms not known (a coupon made elsewhere)', discount({}), 4900],
  ])('%s', (_what, d, want) => {
    expect(recurringAmountCents(4900, d, at)).toBe(want);
  });
});

describe('recurring revenue net of discounts, against a model', () => {
  // The model: a percentage rounded half away from zero, an amount never more than the price, and only
  // while a recurring discount runs.
  const model = (amount: number, bp: number | null, off: number | null, live: boolean) => {
    if (!live || (bp === null && off === null)) return amount;
    if (bp !== null) return amount - Math.floor((amount * bp + 5_000) / 10_000);
    return amount - Math.min(amount, off as number);
  };

  it('takes off what the model takes off, for any price, terms and instant', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 99_999_999 }),
        fc.oneof(
          fc.record({ bp: fc.integer({ min: 1, max: 10_000 }), off: fc.constant(null) }),
          fc.record({ bp: fc.constant(null), off: fc.integer({ min: 1, max: 100_000_000 }) }),
          fc.record({ bp: fc.constant(null), off: fc.constant(null) }),
        ),
        fc.boolean(),
        fc.integer({ min: -60, max: 60 }),
        fc.option(fc.integer({ min: -60, max: 60 }), { nil: null }),
        (amount, terms, recurring, atDay, endDay) => {
          const start = Date.UTC(2026, 5, 1);
          const at = new Date(start + atDay * 86_400_000);
          const end = endDay === null ? null : new Date(start + endDay * 86_400_000).toISOString();
          const live = recurring && atDay >= 0 && (endDay === null || atDay < endDay);
          const got = recurringAmountCents(
            amount,
            {
              start: new Date(start).toISOString(),
              end,
              recurring,
              percentOffBp: terms.bp,
              amountOffCents: terms.off,
            },
            at,
          );
          expect(got).toBe(model(amount, terms.bp, terms.off, live));
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
