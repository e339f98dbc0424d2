import {
  DEFAULT_DUNNING_POLICY,
  validateDunningPolicy,
  type DunningPolicy,
} from '../../domain/dunning-policy';

const policy = (p: Partial<DunningPolicy>): DunningPolicy => ({ ...DEFAULT_DUNNING_POLICY, ...p });

describe('which dunning policies can be used', () => {
  it.each<[string, Partial<DunningPolicy>, string | null]>([
    ['the default', {}, null],
    [
      'one retry, suspended at once, kept unpaid',
      { retryDays: [1], suspendAfterDays: 0, finalAction: 'mark_unpaid' },
      null,
    ],
    ['retries up to day 60', { retryDays: [10, 30, 60], suspendAfterDays: 60 }, null],
    ['no retry day', { retryDays: [] }, 'retryDays must name at least one day'],
    [
      'eleven retries',
      { retryDays: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] },
      'retryDays may name at most 10 days',
    ],
    ['a retry on day 61', { retryDays: [1, 61] }, 'retryDays must be at most day 60'],
    ['a retry on day 0', { retryDays: [0, 2] }, 'retryDays must be positive whole days'],
    ['a fractional day', { retryDays: [1.5] }, 'retryDays must be positive whole days'],
    ['days out of order', { retryDays: [3, 1] }, 'retryDays must increase'],
    ['the same day twice', { retryDays: [2, 2] }, 'retryDays must increase'],
    ['suspension after day 60', { suspendAfterDays: 61 }, 'suspendAfterDays must be at most 60'],
    ['a negative grace', { suspendAfterDays: -1 }, 'suspendAfterDays must be a whole number'],
    [
      'an unknown final action',
      { finalAction: 'refund' as never },
      'finalAction must be cancel or mark_unpaid',
    ],
  ])('%s', (_name, p, problem) => {
    expect(validateDunningPolicy(policy(p))).toBe(problem);
  });
});
