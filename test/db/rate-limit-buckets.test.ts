import type { MikroORM } from '@mikro-orm/core';
import { RateLimitBucket } from '../../db/entities';
import { openDatabase, type Dialect } from '../../db/orm';
import { pruneIdleBuckets, takeBucketToken } from '../../db/rate-limit-buckets';
import { BUCKET_IDLE_PRUNE_MS, takeToken, type Bucket } from '../../domain/rate-limit';
import { bucketKey, RateLimiter } from '../../services/rate-limits/rate-limiter';
import { openTestDatabase } from '../helpers/db';
import { waitUntil } from '../helpers/eventually';

describe.each<Dialect>(['sqlite', 'postgresql'])('rate limit buckets in the database (%s)', (dialect) => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  /** A second connection pool on the same database: another API process. */
  let other: MikroORM;
  let n = 0;
  const fresh = () => `bucket-${dialect}-${++n}-${Date.now()}`;

  beforeAll(async () => {
    db = await openTestDatabase(dialect);
    other = await openDatabase(db.url, { migrate: false });
  });
  afterAll(async () => {
    await other?.close();
    await db?.close();
  });

  it('gives exactly K of N concurrent takes a token, across two connection pools', async () => {
    const key = fresh();
    const K = 7;
    const N = 60;
    const now = Date.now();
    const takes = await Promise.all(
      Array.from({ length: N }, (_, i) => takeBucketToken((i % 2 ? other : db.orm).em.fork(), key, K, now)),
    );
    expect(takes.filter((t) => t.taken)).toHaveLength(K);
    for (const t of takes.filter((x) => !x.taken)) expect(t.retryAfterSeconds).toBeGreaterThanOrEqual(1);
  });

  it('runs the arithmetic of the domain rule, take after take', async () => {
    const key = fresh();
    let model: Bucket | null = null;
    let now = 1_000_000;
    // Bursts, pauses shorter and longer than a refill, a clock that steps back.
    const steps = [0, 0, 0, 0, 0, 0, 1_000, 2_999, 3_001, 0, 0, 45_000, -5_000, 0, 60_000, 0, 0, 1];
    for (const step of steps) {
      now += step;
      const expected = takeToken(model, 5, now);
      model = expected.bucket;
      const got = await takeBucketToken(db.orm.em.fork(), key, 5, now);
      expect(got.taken).toBe(expected.take.taken);
      expect(got.tokens).toBeCloseTo(expected.take.tokens, 6);
      expect(got.retryAfterSeconds).toBe(expected.take.retryAfterSeconds);
    }
  });

  it('keeps every hostile caller id apart in a fixed-length key, whatever it holds', async () => {
    let now = Date.now();
    const limiter = new RateLimiter(db.orm, () => now);
    const hostile = [
      "x'; drop table rate_limit_buckets; --",
      'nul\u0000byte',
      'bell\u0007\r\n\u001b[31m',
      'lone\ud800surrogate',
      '\u202eevil',
      'a'.repeat(1_000_000),
      '',
    ];
    for (const sub of hostile) {
      expect(bucketKey('stripe', sub)).toMatch(/^stripe:[0-9a-f]{64}$/);
      expect((await limiter.take('stripe', sub, 1)).taken).toBe(true);
    }
    // Each got a bucket of its own: every second take is refused, none forgiven by another's row.
    for (const sub of hostile) expect((await limiter.take('stripe', sub, 1)).taken).toBe(false);
    now += 60_000;
    expect((await limiter.take('stripe', hostile[0] as string, 1)).taken).toBe(true);
  });

  it('prunes only buckets idle for a day, which are full anyway', async () => {
    const idle = fresh();
    const busy = fresh();
    const now = Date.now();
    await takeBucketToken(db.orm.em.fork(), idle, 2, now - BUCKET_IDLE_PRUNE_MS - 1);
    await takeBucketToken(db.orm.em.fork(), busy, 2, now);
    await pruneIdleBuckets(db.orm.em.fork(), now - BUCKET_IDLE_PRUNE_MS);
    const left = await db.orm.em.fork().find(RateLimitBucket, { bucketKey: { $in: [idle, busy] } });
    expect(left.map((b) => b.bucketKey)).toEqual([busy]);
  });

  it('prunes on a take at most once a minute per process, without waiting for it', async () => {
    const now = Date.now();
    const idle = fresh();
    await takeBucketToken(db.orm.em.fork(), idle, 2, now - 2 * BUCKET_IDLE_PRUNE_MS);
    const limiter = new RateLimiter(db.orm, () => now);
    await limiter.take('pdf', fresh(), 5);
    const left = await waitUntil(
      () => db.orm.em.fork().count(RateLimitBucket, { bucketKey: idle }),
      (count) => count === 0,
      'the idle bucket pruned',
    );
    expect(left).toBe(0);
    // A second take within the minute leaves an idle bucket where it is.
    const again = fresh();
    await takeBucketToken(db.orm.em.fork(), again, 2, now - 2 * BUCKET_IDLE_PRUNE_MS);
    await limiter.take('pdf', fresh(), 5);
    await new Promise((r) => setTimeout(r, 200));
    expect(await db.orm.em.fork().count(RateLimitBucket, { bucketKey: again })).toBe(1);
  });
});
