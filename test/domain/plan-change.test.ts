import { annualizedCents, arrCents, isUpgrade, planChangeTiming } from '../../domain/plan-change';
import { previewProration } from '../../domain/proration';

const m = (amountCents: number) => ({ amountCents, interval: 'month' as const });
const y = (amountCents: number) => ({ amountCents, interval: 'year' as const });

describe('comparing plans across billing cycles', () => {
  it.each`
    from        | to          | upgrade  | timing
    ${m(1900)}  | ${m(4900)}  | ${true}  | ${'now'}
    ${m(4900)}  | ${m(1900)}  | ${false} | ${'period_end'}
    ${m(4900)}  | ${m(4900)}  | ${true}  | ${'now'}
    ${m(1900)}  | ${y(19000)} | ${false} | ${'period_end'}
    ${m(1900)}  | ${y(22800)} | ${true}  | ${'now'}
    ${m(1900)}  | ${y(49000)} | ${true}  | ${'now'}
    ${y(19000)} | ${m(1900)}  | ${true}  | ${'now'}
    ${y(49000)} | ${m(1900)}  | ${false} | ${'period_end'}
    ${y(19000)} | ${y(49000)} | ${true}  | ${'now'}
  `(
    '$from.amountCents/$from.interval → $to.amountCents/$to.interval: upgrade $upgrade, $timing',
    ({ from, to, upgrade, timing }) => {
      expect(isUpgrade(from, to)).toBe(upgrade);
      expect(planChangeTiming(from, to)).toBe(timing);
    },
  );

  it('lets the caller choose when, whatever the direction', () => {
    expect(planChangeTiming(m(1900), m(4900), 'period_end')).toBe('period_end');
    expect(planChangeTiming(m(4900), m(1900), 'now')).toBe('now');
  });

  it.each`
    status          | terms       | arr
    ${'active'}     | ${m(1900)}  | ${22800}
    ${'past_due'}   | ${y(19000)} | ${19000}
    ${'trialing'}   | ${m(1900)}  | ${0}
    ${'paused'}     | ${m(1900)}  | ${0}
    ${'suspended'}  | ${m(1900)}  | ${0}
    ${'canceled'}   | ${y(19000)} | ${0}
    ${'incomplete'} | ${m(1900)}  | ${0}
  `(
    'ARR of a $status subscription at $terms.amountCents/$terms.interval is $arr',
    ({ status, terms, arr }) => {
      expect(arrCents(status, terms)).toBe(arr);
      if (arr) expect(arr).toBe(annualizedCents(terms));
    },
  );
});

describe('proration preview', () => {
  const DAY = 86_400_000;
  const start = Date.UTC(2026, 10, 1);
  const end = start + 30 * DAY;
  const half = start + 15 * DAY;

  it('prorates both prices over what is left of the period on the same cycle', () => {
    const p = previewProration({
      oldAmountCents: 1900,
      newAmountCents: 4900,
      periodStartMs: start,
      periodEndMs: end,
      atMs: half,
    });
    expect(p).toEqual({ creditCents: -950, chargeCents: 2450, netCents: 1500, remainingFraction: 0.5 });
  });

  it('charges the new price whole when the cycle changes, as Stripe restarts the period', () => {
    const p = previewProration({
      oldAmountCents: 1900,
      newAmountCents: 49000,
      periodStartMs: start,
      periodEndMs: end,
      atMs: half,
      intervalChanges: true,
    });
    expect(p).toMatchObject({ creditCents: -950, chargeCents: 49000, netCents: 48050 });
  });

  it.each`
    atMs           | credit   | charge
    ${start}       | ${-1900} | ${4900}
    ${end}         | ${0}     | ${0}
    ${end + DAY}   | ${0}     | ${0}
    ${start - DAY} | ${-1900} | ${4900}
  `('at the edges of the period (at $atMs) stays within the period', ({ atMs, credit, charge }) => {
    const p = previewProration({
      oldAmountCents: 1900,
      newAmountCents: 4900,
      periodStartMs: start,
      periodEndMs: end,
      atMs,
    });
    expect(p.creditCents + 0).toBe(credit);
    expect(p.chargeCents).toBe(charge);
  });
});
