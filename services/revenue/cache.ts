import type { EntityManager } from '@mikro-orm/core';
import { perDatabase } from '../../db/per-database';
import { revenueQueryDuration, secondsSince } from '../../telemetry/api-metrics';

/**
 * How long a computed revenue figure is served again. The headline aggregates cost several hundred
 * milliseconds on a large book (SQLite, 100,000 subscriptions: see bench/revenue.ts) while a dashboard
 * asks for the same ones every few seconds; figures up to this old are fine for it, and `as_of` says
 * when they were computed.
 */
export const REVENUE_CACHE_MS = 15_000;

interface Entry {
  expires: number;
  value: Promise<unknown>;
}

// Per database, so two ORMs in one process (tests, tools) never share figures.
const cacheOf = perDatabase(() => new Map<string, Entry>());

/**
 * The value computed for `key` on this database less than REVENUE_CACHE_MS ago, else computes it.
 * Concurrent callers share one computation; a failure is not kept.
 */
export function cached<T>(em: EntityManager, key: string, compute: () => Promise<T>): Promise<T> {
  const cache = cacheOf(em);
  // A stopwatch, not business time: entries expire by elapsed time whatever clock the caller reads.
  const now = performance.now();
  const hit = cache.get(key);
  if (hit && hit.expires > now) return hit.value as Promise<T>;
  for (const [k, e] of cache) if (e.expires <= now) cache.delete(k);
  const start = process.hrtime.bigint();
  const value = compute();
  // The label is the figure's kind (`stats`, `revenue`), never its parameters.
  void value.then(
    () => revenueQueryDuration.observe({ query: key.split(':')[0] ?? key }, secondsSince(start)),
    () => undefined,
  );
  cache.set(key, { expires: now + REVENUE_CACHE_MS, value });
  value.catch(() => cache.delete(key));
  return value;
}
