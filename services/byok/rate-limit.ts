import { refill, takeToken, type Bucket } from '../../domain/rate-limit';

/**
 * Token buckets kept in this process, one per key, with the rule of domain/rate-limit.ts. The API limits
 * with the database's buckets instead (services/rate-limits), which hold across processes; these are for
 * a single process that has no database at hand.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    readonly perMinute: number,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 50_000,
  ) {}

  /** Takes one token for `key`; when none is left, the whole seconds until one is. */
  take(key: string): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const now = this.now();
    const existing = this.buckets.get(key) ?? null;
    const { bucket, take } = takeToken(existing, this.perMinute, now);
    if (take.taken && !existing && this.buckets.size >= this.maxKeys) this.forgetFull(now);
    this.buckets.set(key, bucket);
    return take.taken ? { ok: true } : { ok: false, retryAfterSeconds: take.retryAfterSeconds };
  }

  // A bucket that has refilled is the same as no bucket: dropping those bounds the map without
  // forgiving anyone who is still limited.
  private forgetFull(now: number): void {
    for (const [key, b] of this.buckets)
      if (refill(b, this.perMinute, now) >= this.perMinute) this.buckets.delete(key);
    if (this.buckets.size >= this.maxKeys) this.buckets.delete(this.buckets.keys().next().value as string);
  }
}
