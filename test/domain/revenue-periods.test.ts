import {
  defaultRange,
  MAX_BUCKETS,
  monthBounds,
  periodsBetween,
  rangeProblem,
} from '../../domain/revenue-periods';
import { timeseriesQuery } from '../../api/routes/admin-billing/schemas';

describe('the periods a revenue chart is cut into', () => {
  it.each`
    from            | to              | interval   | problem
    ${'2026-03-01'} | ${'2026-03-01'} | ${'day'}   | ${null}
    ${'2026-03-02'} | ${'2026-03-01'} | ${'day'}   | ${'must not be before from'}
    ${'2026-03-31'} | ${'2026-03-01'} | ${'month'} | ${null}
    ${'2026-04-01'} | ${'2026-03-31'} | ${'month'} | ${'must not be before from'}
    ${'2025-01-01'} | ${'2026-02-04'} | ${'day'}   | ${null}
    ${'2025-01-01'} | ${'2026-02-05'} | ${'day'}   | ${'at most 400 days per request'}
    ${'2000-01-01'} | ${'2009-12-31'} | ${'month'} | ${null}
    ${'2000-01-01'} | ${'2010-01-01'} | ${'month'} | ${'at most 120 months per request'}
  `('$from to $to by $interval: $problem', ({ from, to, interval, problem }) => {
    expect(rangeProblem({ from, to, interval })).toBe(problem);
  });

  it('never lists more than one period past the limit, however long the range', () => {
    expect(periodsBetween('2000-01-01', '2999-12-31', 'day')).toHaveLength(MAX_BUCKETS.day + 1);
  });

  it.each`
    query                                      | range
    ${{ interval: 'day', to: '2026-03-30' }}   | ${{ from: '2026-03-01', to: '2026-03-30' }}
    ${{ interval: 'month', to: '2026-03-30' }} | ${{ from: '2025-04-01', to: '2026-03-30' }}
    ${{ interval: 'day', from: '2026-01-05' }} | ${{ from: '2026-01-05', to: '2026-03-30' }}
  `('defaults $query to $range', ({ query, range }) => {
    expect(defaultRange(query, new Date('2026-03-30T12:00:00Z'))).toEqual(range);
  });

  it.each(['2026-13', '2026-00', '26-01', 'x'])('%s is no month', (m) => expect(monthBounds(m)).toBeNull());

  it('refuses in the query schema a range the figures refuse, on `to`', () => {
    const parsed = timeseriesQuery.safeParse({ from: '2026-03-02', to: '2026-03-01' });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['to', 'must not be before from'],
    ]);
    const long = timeseriesQuery.safeParse({ from: '2000-01-01', interval: 'month' });
    expect(long.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['to', 'at most 120 months per request'],
    ]);
    expect(timeseriesQuery.safeParse({ from: 'nope' }).error?.issues.map((i) => i.path.join('.'))).toEqual([
      'from',
    ]);
  });
});
