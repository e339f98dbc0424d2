import { EntitySchema } from '@mikro-orm/core';

/**
 * One caller's token bucket for one class of requests (domain/rate-limit.ts), shared by every API
 * process on the database. Written only by the one statement in db/rate-limit-buckets.ts; a row idle for a
 * day is full and is pruned.
 */
export class RateLimitBucket {
  /** `<class>:<sha-256 of the caller's id>`: fixed length whatever the caller's id holds. */
  bucketKey!: string;
  tokens!: number;
  /** When `tokens` was computed, ms since the epoch. */
  updatedAtMs!: number;
  /** Whether the last take got a token (the statement's answer: RETURNING sees only the new row). */
  taken!: boolean;
}

export const RateLimitBucketSchema = new EntitySchema<RateLimitBucket>({
  class: RateLimitBucket,
  tableName: 'rate_limit_buckets',
  indexes: [{ properties: ['updatedAtMs'] }],
  properties: {
    bucketKey: { type: 'string', primary: true, length: 100 },
    tokens: { type: 'double' },
    updatedAtMs: { type: 'double' },
    taken: { type: 'boolean' },
  },
});
