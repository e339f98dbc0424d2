import { sqlList } from '../../db/raw-sql';

describe('an SQL list of a domain set', () => {
  it('quotes each name once, in order', () => {
    expect(sqlList(['canceled', 'expired'])).toBe("('canceled', 'expired')");
    expect(sqlList(['active'])).toBe("('active')");
  });

  it.each([["it's"], ['a b'], ['Active'], [''], ["x') or ('1"]])(
    'refuses %p rather than escape it',
    (bad) => {
      expect(() => sqlList([bad])).toThrow(RangeError);
    },
  );

  it('refuses an empty set, which SQL cannot write as a list', () => {
    expect(() => sqlList([])).toThrow(RangeError);
  });
});
