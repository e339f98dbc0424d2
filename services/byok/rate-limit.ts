/**
 * Token buckets kept in this process, one per key: `perMinute` reads fill a bucket over a minute and a
 * full bucket holds `perMinute`, so a burst of a minute's allowance passes and a steady overuse does not.
 * Each API process limits on its own; with N processes the allowance is at most N times as large.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly ratePerMs: number;

  constructor(
    readonly perMinute: number,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 50_000,
  ) {
    this.ratePerMs = perMinute / 60_000;
  }

  /** Takes one token for `key`; when none is left, the whole seconds until one is. */
  take(key: string): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const now = this.now();
    const bucket = this.buckets.get(key);
    const tokens = bucket
      ? Math.min(this.perMinute, bucket.tokens + (now - bucket.at) * this.ratePerMs)
      : this.perMinute;
    if (tokens < 1) {
      this.buckets.set(key, { tokens, at: now });
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / this.ratePerMs / 1000)) };
    }
    if (!bucket && this.buckets.size >= this.maxKeys) this.forgetFull(now);
    this.buckets.set(key, { tokens: tokens - 1, at: now });
    return { ok: true };
  }

  // A bucket that has refilled is the same as no bucket: dropping those bounds the map without
  // forgiving anyone who is still limited.
  private forgetFull(now: number): void {
    for (const [key, b] of this.buckets)
      if (b.tokens + (now - b.at) * this.ratePerMs >= this.perMinute) this.buckets.delete(key);
    if (this.buckets.size >= this.maxKeys) this.buckets.delete(this.buckets.keys().next().value as string);
  }
}
