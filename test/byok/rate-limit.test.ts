import { TokenBuckets } from '../../services/byok/rate-limit';

describe('token buckets for key reads', () => {
  it("lets a minute's reads through at once, then one more each time a token refills", () => {
    let now = 0;
    const buckets = new TokenBuckets(60, () => now);
    for (let i = 0; i < 60; i++) expect(buckets.take('gw')).toEqual({ ok: true });
    expect(buckets.take('gw')).toEqual({ ok: false, retryAfterSeconds: 1 });
    now += 1000;
    expect(buckets.take('gw')).toEqual({ ok: true });
    expect(buckets.take('gw').ok).toBe(false);
  });

  it('says how long until the next read is allowed', () => {
    let now = 0;
    const buckets = new TokenBuckets(2, () => now);
    buckets.take('c');
    buckets.take('c');
    expect(buckets.take('c')).toEqual({ ok: false, retryAfterSeconds: 30 });
    now += 29_000;
    expect(buckets.take('c')).toEqual({ ok: false, retryAfterSeconds: 1 });
    now += 1_000;
    expect(buckets.take('c')).toEqual({ ok: true });
  });

  it('keeps each key apart, and forgets refilled buckets rather than limited ones when full', () => {
    let now = 0;
    const buckets = new TokenBuckets(1, () => now, 2);
    expect(buckets.take('a').ok).toBe(true);
    now += 60_000; // a has refilled
    expect(buckets.take('b').ok).toBe(true);
    expect(buckets.take('c').ok).toBe(true); // the map is full: a is forgotten, b (still empty) is kept
    expect(buckets.take('b').ok).toBe(false);
    expect(buckets.take('a').ok).toBe(true);
  });
});
