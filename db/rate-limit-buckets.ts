import type { EntityManager } from '@mikro-orm/core';
import type { Take } from '../domain/rate-limit';
import { secondsUntilToken } from '../domain/rate-limit';
import { readBool, sqlFor } from './raw-sql';

/**
 * Takes one token from the bucket `key` holding `perMinute` at most, at `nowMs`: one statement, so every
 * API process on the database takes from the same bucket and two takes at the same moment cannot both
 * get its last token (the row is locked by the update; a first take inserts it). It runs the arithmetic
 * of domain/rate-limit.ts `takeToken`: refill by the time elapsed since the row was written (never
 * negative, never above `perMinute`), take a token if one is there, and say whether it did.
 *
 * The inserted row's `tokens` carries `perMinute - 1`, so the update reads the limit back from `excluded`
 * instead of binding it again; SET expressions see the row as it was before this statement on both
 * dialects.
 */
export async function takeBucketToken(
  em: EntityManager,
  key: string,
  perMinute: number,
  nowMs: number,
): Promise<Take> {
  const sql = sqlFor(em);
  const [least, greatest] = sql.postgres ? ['least', 'greatest'] : ['min', 'max'];
  const b = 'rate_limit_buckets';
  const limit = '(excluded.tokens + 1)';
  const refilled = `${least}(${limit}, ${b}.tokens + ${greatest}(0, excluded.updated_at_ms - ${b}.updated_at_ms) * ${limit} / 60000.0)`;
  const rows = await sql.run<{ taken: unknown; tokens: unknown }>(
    `insert into ${b} (bucket_key, tokens, updated_at_ms, taken) values (?, ?, ?, true)
     on conflict (bucket_key) do update set
       tokens = case when ${refilled} >= 1 then ${refilled} - 1 else ${refilled} end,
       taken = ${refilled} >= 1,
       updated_at_ms = ${greatest}(${b}.updated_at_ms, excluded.updated_at_ms)
     returning taken, tokens`,
    [key, perMinute - 1, nowMs],
  );
  const row = rows[0];
  if (!row) throw new Error(`rate limit bucket ${key}: the upsert returned no row`);
  const taken = readBool(row.taken);
  const tokens = Number(row.tokens);
  return { taken, tokens, retryAfterSeconds: taken ? 0 : secondsUntilToken(tokens, perMinute) };
}

/** Drops buckets not written since `beforeMs` (full by then: see BUCKET_IDLE_PRUNE_MS); how many went. */
export async function pruneIdleBuckets(em: EntityManager, beforeMs: number): Promise<number> {
  const rows = await sqlFor(em).run<{ bucket_key: string }>(
    'delete from rate_limit_buckets where updated_at_ms < ? returning bucket_key',
    [beforeMs],
  );
  return rows.length;
}
