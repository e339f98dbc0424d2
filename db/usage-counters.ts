import type { EntityManager } from '@mikro-orm/core';
import { sqlFor } from './raw-sql';

interface Entry<T> {
  value: T;
  expiresAt: number;
}

/** A map whose entries expire; it forgets everything when it grows past `maxEntries` (a bound, not an LRU). */
class ExpiringMap<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
  ) {}

  get(key: string, now: number): T | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  set(key: string, value: T, now: number): void {
    if (this.entries.size >= this.maxEntries && !this.entries.has(key)) this.entries.clear();
    this.entries.set(key, { value, expiresAt: now + this.ttlMs });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}

export interface CounterCacheOptions {
  /** How long a counter read from the database is trusted before it is read again. */
  counterTtlMs?: number;
  /** How long what a subscription grants (plan, status, period) is trusted. */
  accessTtlMs?: number;
  maxEntries?: number;
  now?: () => number;
}

/**
 * The in-process view of the `daily_usage` counters, so quota checks do not read the database on every
 * call. The database row stays authoritative (several API processes share it): a cached value lives for
 * `counterTtlMs`, and this process replaces it with the committed total after each of its own writes. A
 * write by another process is therefore seen here within the TTL; report_usage re-reads the row inside
 * its transaction, so the hard daily limit holds exactly for stored usage.
 */
export class UsageCounters {
  private readonly used: ExpiringMap<number>;
  private readonly snapshots: ExpiringMap<unknown>;
  readonly now: () => number;

  constructor(opts: CounterCacheOptions = {}) {
    const max = opts.maxEntries ?? 100_000;
    this.used = new ExpiringMap(opts.counterTtlMs ?? 1000, max);
    this.snapshots = new ExpiringMap(opts.accessTtlMs ?? 2000, max);
    this.now = opts.now ?? Date.now;
  }

  /** Units a customer used on a UTC day (all types), from the cache or the database. */
  async usedOn(em: EntityManager, customerId: string, day: string): Promise<number> {
    const key = `${customerId}|${day}`;
    const cached = this.used.get(key, this.now());
    if (cached !== undefined) return cached;
    const value = await readUsedOn(em, customerId, day);
    this.used.set(key, value, this.now());
    return value;
  }

  /** After a committed write whose new total is known (read in the writing transaction). */
  set(customerId: string, day: string, total: number): void {
    this.used.set(`${customerId}|${day}`, total, this.now());
  }

  /** After a committed write whose total was not read: adjusts a cached value, if there is one. */
  add(customerId: string, day: string, delta: number): void {
    const key = `${customerId}|${day}`;
    const cached = this.used.get(key, this.now());
    if (cached !== undefined) this.used.set(key, cached + delta, this.now());
  }

  /**
   * After a committed ledger write: the totals it read (keyed `<customerId>|<day>`) replace cached values,
   * its unread deltas adjust them. Returns `day`'s committed totals by customer.
   */
  settle(totals: Map<string, number>, deltas: Map<string, number>, day: string): Map<string, number> {
    const onDay = new Map<string, number>();
    for (const [key, total] of totals) {
      const [customerId, d] = key.split('|') as [string, string];
      this.set(customerId, d, total);
      if (d === day) onDay.set(customerId, total);
    }
    for (const [key, delta] of deltas) {
      const [customerId, d] = key.split('|') as [string, string];
      this.add(customerId, d, delta);
    }
    return onDay;
  }

  /** A short-lived memo of what a subscription grants, keyed by the caller or the customer. */
  async snapshot<T>(key: string, load: () => Promise<T>): Promise<T> {
    const cached = this.snapshots.get(key, this.now());
    if (cached !== undefined) return cached as T;
    const value = await load();
    this.snapshots.set(key, value, this.now());
    return value;
  }

  /** Memoises `value` under `key` now, read by a load made for another memo as well. */
  rememberSnapshot<T>(key: string, value: T): void {
    this.snapshots.set(key, value, this.now());
  }

  /** The memo under `key` if it is fresh, without loading it: for paths that must not wait for a load. */
  peekSnapshot<T>(key: string): T | undefined {
    return this.snapshots.get(key, this.now()) as T | undefined;
  }

  /** Drops one memo, after this process changed what it holds. */
  forgetSnapshot(key: string): void {
    this.snapshots.delete(key);
  }

  forgetSnapshots(): void {
    this.snapshots.clear();
  }
}

/** The memo of which provider keys a customer stored; dropped by this process when it changes them. */
export const byokKeysMemo = (customerId: string) => `byok:${customerId}`;

/** The snapshot key of a customer's subject budgets. */
export const budgetsMemo = (customerId: string) => `budgets:${customerId}`;

export async function readUsedOn(em: EntityManager, customerId: string, day: string): Promise<number> {
  const rows = await sqlFor(em).read<{ n: number | string | null }>(
    // An operator's reset forgave part of the day's units: they stay stored and billed, off the quota.
    'select sum(quantity - forgiven) as n from daily_usage where customer_id = ? and day = ?',
    [customerId, day],
  );
  return Number(rows[0]?.n ?? 0);
}

// One cache per database (every EntityManager fork of an ORM shares its driver), so two test apps on two
// databases in one process never see each other's counters.
const caches = new WeakMap<object, UsageCounters>();

/** The counter cache of the database `em` belongs to. */
export function countersFor(em: EntityManager): UsageCounters {
  const key = em.getDriver();
  let cache = caches.get(key);
  if (!cache) {
    cache = new UsageCounters();
    caches.set(key, cache);
  }
  return cache;
}

/** Tests and benchmarks replace the cache (e.g. to control the clock or the TTL). */
export function setCountersFor(em: EntityManager, cache: UsageCounters): void {
  caches.set(em.getDriver(), cache);
}
