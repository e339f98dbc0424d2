import { chunks, sqlList } from '../../db/raw-sql';

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

describe('a list cut for statements with a ceiling on bound values', () => {
  it.each([
    [0, 3, []],
    [2, 3, [2]],
    [3, 3, [3]],
    [7, 3, [3, 3, 1]],
  ])('cuts %p items by %p into lists of %p, in order', (n, size, lengths) => {
    const list = Array.from({ length: n }, (_, i) => i);
    const cut = chunks(list, size);
    expect(cut.map((c) => c.length)).toEqual(lengths);
    expect(cut.flat()).toEqual(list);
  });
});
