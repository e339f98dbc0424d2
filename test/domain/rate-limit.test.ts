import {
  mayOpenCheckout,
  MAX_OPEN_CHECKOUTS,
  refill,
  secondsUntilToken,
  takeToken,
  type Bucket,
} from '../../domain/rate-limit';

describe('token bucket arithmetic', () => {
  it.each<[string, Bucket | null, number, number, number]>([
    // what, bucket, perMinute, now, tokens after refill
    ['a new caller has a full bucket', null, 20, 5_000, 20],
    ['nothing elapsed refills nothing', { tokens: 0, atMs: 1_000 }, 20, 1_000, 0],
    ['a second at 60 a minute refills one', { tokens: 0, atMs: 0 }, 60, 1_000, 1],
    ['half a token after half of 3 s at 20 a minute', { tokens: 0, atMs: 0 }, 20, 1_500, 0.5],
    ['never above the limit', { tokens: 19.5, atMs: 0 }, 20, 3_600_000, 20],
    ['a clock gone back neither refills nor drains', { tokens: 2.5, atMs: 10_000 }, 20, 4_000, 2.5],
    ['a bucket filled under a higher limit holds the lower one', { tokens: 60, atMs: 0 }, 5, 0, 5],
  ])('%s', (_what, bucket, perMinute, now, expected) => {
    expect(refill(bucket, perMinute, now)).toBeCloseTo(expected, 9);
  });

  it.each<[string, number, number, number]>([
    // what, tokens left, perMinute, whole seconds until one is there
    ['a token is there', 1, 20, 0],
    ['an empty bucket at 20 a minute waits 3 s', 0, 20, 3],
    ['an empty bucket at 1 a minute waits a minute', 0, 1, 60],
    ['a fraction short rounds up to a whole second', 0.99, 20, 1],
    ['never less than a second while none is there', 0.9999999, 600, 1],
    ['at 7 a minute, 60/7 s is 9 whole seconds', 0, 7, 9],
    ['floating-point noise does not add a second (0.95 at 3 a minute is 1 s)', 0.95, 3, 1],
  ])('Retry-After when %s', (_what, tokens, perMinute, seconds) => {
    expect(secondsUntilToken(tokens, perMinute)).toBe(seconds);
  });

  it("lets a minute's allowance through at once, then one per refill, and says when to come back", () => {
    let bucket: Bucket | null = null;
    const take = (now: number) => {
      const r = takeToken(bucket, 3, now);
      bucket = r.bucket;
      return r.take;
    };
    expect([take(0), take(0), take(0)].map((t) => t.taken)).toEqual([true, true, true]);
    expect(take(0)).toEqual({ taken: false, tokens: 0, retryAfterSeconds: 20 });
    // A refused take costs nothing: 19.999 s later the token is almost, not quite, there.
    expect(take(19_999)).toMatchObject({ taken: false, retryAfterSeconds: 1 });
    expect(take(20_000)).toMatchObject({ taken: true, retryAfterSeconds: 0 });
    expect(take(20_000).taken).toBe(false);
  });

  it('keeps the later time when a take comes with an earlier clock (another process)', () => {
    const first = takeToken({ tokens: 5, atMs: 10_000 }, 20, 4_000);
    expect(first.bucket).toEqual({ tokens: 4, atMs: 10_000 });
  });
});

describe('open checkouts per customer', () => {
  it.each([
    [0, true],
    [MAX_OPEN_CHECKOUTS - 1, true],
    [MAX_OPEN_CHECKOUTS, false],
    [MAX_OPEN_CHECKOUTS + 10, false],
  ])('with %i open, another may start: %s', (open, allowed) => {
    expect(mayOpenCheckout(open)).toBe(allowed);
  });
});
