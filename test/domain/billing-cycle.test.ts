import { billingCycleOf, intervalOf } from '../../domain/billing-cycle';

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
