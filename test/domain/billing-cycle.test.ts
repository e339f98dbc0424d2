import { billingCycleOf, intervalOf, periodHolding } from '../../domain/billing-cycle';

describe('billing cycle and interval', () => {
  it.each([
    ['year', 'yearly'],
    ['month', 'monthly'],
    [null, 'monthly'],
    [undefined, 'monthly'],
    ['week', 'monthly'],
  ] as const)('interval %s is billed %s', (interval, cycle) => {
    expect(billingCycleOf(interval)).toBe(cycle);
  });

  it.each([
    ['yearly', 'year'],
    ['monthly', 'month'],
  ] as const)('cycle %s recurs every %s, and back', (cycle, interval) => {
    expect(intervalOf(cycle)).toBe(interval);
    expect(billingCycleOf(intervalOf(cycle))).toBe(cycle);
  });
});

describe('the billing period that holds a moment', () => {
  const start = new Date('2026-03-31T10:00:00Z');
  test.each<[string, string, 'month' | 'year' | null, string]>([
    ['in the current period: its start', '2026-04-02T00:00:00Z', 'month', '2026-03-31T10:00:00.000Z'],
    [
      "a month back, the 31st becomes February's last day",
      '2026-03-01T00:00:00Z',
      'month',
      '2026-02-28T10:00:00.000Z',
    ],
    ['just before the start: the period before', '2026-03-31T09:59:59Z', 'month', '2026-02-28T10:00:00.000Z'],
    ['two months back', '2026-02-27T00:00:00Z', 'month', '2026-01-31T10:00:00.000Z'],
    ['a yearly plan steps back a year', '2026-01-01T00:00:00Z', 'year', '2025-03-31T10:00:00.000Z'],
    ['no subscription: the UTC calendar month', '2026-02-27T23:00:00Z', null, '2026-02-01T00:00:00.000Z'],
  ])('%s', (_name, at, interval, expected) => {
    expect(periodHolding(new Date(at), interval ? { start, interval } : null).start.toISOString()).toBe(
      expected,
    );
  });
});

test("an earlier period ends where the next begins; the current one's end is the subscription's to say", () => {
  const current = { start: new Date('2026-03-31T10:00:00Z'), interval: 'month' as const };
  expect(periodHolding(new Date('2026-02-27T00:00:00Z'), current)).toEqual({
    start: new Date('2026-01-31T10:00:00Z'),
    end: new Date('2026-02-28T10:00:00Z'),
  });
  expect(periodHolding(new Date('2026-03-01T00:00:00Z'), current).end).toEqual(current.start);
  expect(periodHolding(new Date('2026-04-01T00:00:00Z'), current).end).toBeNull();
});
