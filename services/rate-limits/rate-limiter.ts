import { createHash } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/core';
import { pruneIdleBuckets, takeBucketToken } from '../../db/rate-limit-buckets';
import { AppError } from '../../domain/errors';
import type { Config } from '../../config/env';
import {
  BUCKET_IDLE_PRUNE_MS,
  type RateLimitClass,
  type RouteRateLimitClass,
  type Take,
} from '../../domain/rate-limit';

/** How often one process deletes idle buckets, at most. */
const PRUNE_EVERY_MS = 60_000;

/** The caller used up this class's allowance; the API answers 429 with Retry-After. */
export class RateLimited extends AppError {
  constructor(
    readonly limitClass: RateLimitClass,
    readonly retryAfterSeconds: number,
    message = 'Too many requests of this kind; try again later',
  ) {
    super('rate_limited', 'rate_limited', message, {
      class: limitClass,
      retry_after_seconds: retryAfterSeconds,
    });
  }
}

/**
 * The bucket key of a caller for a class: the caller's id hashed, so whatever a token's `sub` holds
 * (control characters, a megabyte) the key is 64 hex digits after the class.
 */
export function bucketKey(limitClass: RateLimitClass, subject: string): string {
  return `${limitClass}:${createHash('sha256').update(subject, 'utf8').digest('hex')}`;
}

/**
 * Per-caller token buckets kept in the database, so that the limits hold however many API processes
 * share it: each take is one statement (db/rate-limit-buckets.ts). Buckets idle for a day are deleted
 * by whichever process takes next, at most once a minute each.
 */
export class RateLimiter {
  private lastPruneMs = 0;

  constructor(
    private readonly orm: MikroORM,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes a token of `limitClass` for `subject`, whose bucket holds `perMinute`. */
  async take(limitClass: RateLimitClass, subject: string, perMinute: number): Promise<Take> {
    const nowMs = this.now();
    const take = await takeBucketToken(this.orm.em.fork(), bucketKey(limitClass, subject), perMinute, nowMs);
    if (nowMs - this.lastPruneMs >= PRUNE_EVERY_MS) {
      this.lastPruneMs = nowMs;
      // Not awaited: the caller's answer does not wait for housekeeping, and a failure only delays it.
      pruneIdleBuckets(this.orm.em.fork(), nowMs - BUCKET_IDLE_PRUNE_MS).catch(() => undefined);
    }
    return take;
  }

  /** As `take`, refusing with RateLimited when no token is left. */
  async enforce(limitClass: RateLimitClass, subject: string, perMinute: number): Promise<void> {
    const take = await this.take(limitClass, subject, perMinute);
    if (!take.taken) throw new RateLimited(limitClass, take.retryAfterSeconds);
  }
}

/** The configured allowance a minute of a class a route declares. */
export function routeLimitPerMinute(
  config: Pick<
    Config,
    'RATE_LIMIT_STRIPE_PER_MINUTE' | 'RATE_LIMIT_KEY_TESTS_PER_MINUTE' | 'RATE_LIMIT_PDF_PER_MINUTE'
  >,
  limitClass: RouteRateLimitClass,
): number {
  switch (limitClass) {
    case 'stripe':
      return config.RATE_LIMIT_STRIPE_PER_MINUTE;
    case 'key_test':
      return config.RATE_LIMIT_KEY_TESTS_PER_MINUTE;
    case 'pdf':
      return config.RATE_LIMIT_PDF_PER_MINUTE;
  }
}
