import fc from 'fast-check';
import {
  billingAnchorRefusal,
  calendarTrialEnd,
  checkoutWindow,
  firstPeriodCents,
  fullPeriodStart,
  isBillingAnchor,
  nextCalendarAnchor,
} from '../../domain/billing-anchor';
import { planChangeNowRefusal, planChangeTiming } from '../../domain/plan-change';

const at = (iso: string) => Date.parse(iso) / 1000;

describe('calendar billing', () => {
  it.each([
    ['2026-11-15T10:30:00Z', '2026-12-01T00:00:00Z'],
    ['2026-12-31T23:59:59Z', '2027-01-01T00:00:00Z'],
    // A moment exactly on the 1st is already past that anchor: the next one is a month on.
    ['2026-12-01T00:00:00Z', '2027-01-01T00:00:00Z'],
    ['2028-02-29T12:00:00Z', '2028-03-01T00:00:00Z'],
  ])('anchors a subscription started at %s on %s', (start, anchor) => {
    expect(nextCalendarAnchor(at(start))).toBe(at(anchor));
  });

  it.each([
    ['2026-12-01T00:00:00Z', 'month', '2026-11-01T00:00:00Z'],
    ['2027-01-01T00:00:00Z', 'month', '2026-12-01T00:00:00Z'],
    ['2027-03-01T00:00:00Z', 'year', '2026-03-01T00:00:00Z'],
  ] as const)(
    'measures the first period against the full one ending on %s (%s): from %s',
    (anchor, interval, start) => {
      expect(fullPeriodStart(at(anchor), interval)).toBe(at(start));
    },
  );

  it.each([
    // Half of November's 30 days at $29.00.
    [2900, '2026-11-16T00:00:00Z', 'month', 1450],
    // One day of a 31-day December at $31.00.
    [3100, '2026-12-31T00:00:00Z', 'month', 100],
    // $1.99 for a third of a 30-day month rounds half away from zero: 66.33 → 66.
    [199, '2026-11-21T00:00:00Z', 'month', 66],
    // A yearly $290.00 from 2026-11-16 to 2026-12-01: 15 of 365 days, 11.918… → 11,918 cents.
    [29000 * 100, '2026-11-16T00:00:00Z', 'year', 119178],
    [0, '2026-11-16T00:00:00Z', 'month', 0],
  ] as const)('charges %i cents from %s (%s) to the 1st as %i cents', (amount, start, interval, cents) => {
    const s = at(start);
    expect(firstPeriodCents(amount, s, nextCalendarAnchor(s), interval)).toBe(cents);
  });

  it('never charges the first period more than the full price, nor less than nothing', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000_000 }),
        fc.integer({ min: at('2020-01-01T00:00:00Z'), max: at('2035-01-01T00:00:00Z') }),
        fc.constantFrom('month' as const, 'year' as const),
        (amount, start, interval) => {
          const cents = firstPeriodCents(amount, start, nextCalendarAnchor(start), interval);
          expect(Number.isSafeInteger(cents)).toBe(true);
          expect(cents).toBeGreaterThanOrEqual(0);
          expect(cents).toBeLessThanOrEqual(amount);
        },
      ),
    );
  });

  it.each([
    // 14 days from 2026-11-20 is 2026-12-04: the trial runs on to 2027-01-01.
    ['2026-11-20T08:00:00Z', 14, '2027-01-01T00:00:00Z'],
    ['2026-11-10T08:00:00Z', 14, '2026-12-01T00:00:00Z'],
    // One day would end before Stripe's two-day minimum reaches the 1st: the next 1st after two days.
    ['2026-11-29T12:00:00Z', 1, '2027-01-01T00:00:00Z'],
    ['2026-11-28T12:00:00Z', 1, '2026-12-01T00:00:00Z'],
  ])('ends a trial started at %s of %i days on calendar billing on %s', (now, days, end) => {
    expect(calendarTrialEnd(at(now), days)).toBe(at(end));
  });

  it.each([
    ['2026-11-20T08:00:00Z', { ok: true, expiresAtS: null }],
    // Under a day before the 1st: the session closes a minute before it.
    ['2026-11-30T12:00:00Z', { ok: true, expiresAtS: at('2026-11-30T23:59:00Z') }],
    ['2026-11-30T23:29:00Z', { ok: true, expiresAtS: at('2026-11-30T23:59:00Z') }],
    // Less than Checkout's shortest session: come back at midnight.
    ['2026-11-30T23:29:01Z', { ok: false, retryAfterS: 31 * 60 - 1 }],
    ['2026-11-30T23:59:59Z', { ok: false, retryAfterS: 1 }],
  ])('opens checkout at %s for the 1st as %j', (now, window) => {
    const s = at(now);
    expect(checkoutWindow(s, nextCalendarAnchor(s))).toEqual(window);
  });

  it.each([
    [{ code: 'starter', billingAnchor: 'calendar' as const }, null],
    [
      { code: 'starter', billingAnchor: 'anniversary' as const, trialWithoutCard: 'ask_for_card' as const },
      null,
    ],
    [{ code: 'starter', billingAnchor: 'calendar' as const, trialWithoutCard: 'free' as const }, null],
    [{ code: 'trial', billingAnchor: 'calendar' as const }, expect.stringContaining('trial tier')],
    [
      { code: 'pro', billingAnchor: 'calendar' as const, trialWithoutCard: 'ask_for_card' as const },
      expect.stringContaining('card'),
    ],
  ])('refuses calendar billing only where the cycle would restart off the 1st: %j', (plan, refusal) => {
    expect(billingAnchorRefusal(plan)).toEqual(refusal);
  });

  it('keeps a switch between monthly and yearly on calendar billing for the period end', () => {
    const monthly = { amountCents: 2900, interval: 'month' as const };
    const yearly = { amountCents: 39000, interval: 'year' as const };
    const calendar = { ...monthly, billingAnchor: 'calendar' as const };
    expect(planChangeTiming(monthly, yearly)).toBe('now');
    expect(planChangeTiming(calendar, yearly)).toBe('period_end');
    expect(planChangeTiming(calendar, { amountCents: 4900, interval: 'month' })).toBe('now');
    expect(planChangeNowRefusal(calendar, yearly, 'now')).toMatch(/period end/);
    expect(planChangeNowRefusal(calendar, yearly, 'period_end')).toBeNull();
    expect(planChangeNowRefusal(monthly, yearly, 'now')).toBeNull();
  });

  it('takes only the two anchors it knows', () => {
    expect(['anniversary', 'calendar', 'Calendar', '', null, 1].map(isBillingAnchor)).toEqual([
      true,
      true,
      false,
      false,
      false,
      false,
    ]);
  });
});
