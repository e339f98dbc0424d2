import type { EntityManager } from '@mikro-orm/core';
import type { Knex, SqlEntityManager } from '@mikro-orm/knex';

/**
 * Raw aggregate SQL that runs unchanged on SQLite and PostgreSQL. The two differ in how a datetime is
 * stored (MikroORM keeps SQLite datetimes as epoch milliseconds, PostgreSQL as timestamptz), how it is
 * formatted into a bucket label, and in returning bigint aggregates as strings (pg); this hides all three.
 */
export interface Sql {
  knex: Knex;
  dialect: 'sqlite' | 'postgresql';
  /** A Date as a bind value comparable with a datetime column. */
  at(d: Date): number | Date;
  /** SQL turning a datetime column into a UTC 'YYYY-MM-DD' or 'YYYY-MM' label. */
  bucket(column: string, interval: 'day' | 'month'): string;
  rows<T = Record<string, unknown>>(sql: string, bindings?: readonly unknown[]): Promise<T[]>;
}

export function sqlFor(em: EntityManager): Sql {
  const sem = em as unknown as SqlEntityManager;
  const knex = sem.getKnex();
  const dialect = sem.getPlatform().constructor.name.toLowerCase().includes('postgre')
    ? 'postgresql'
    : 'sqlite';
  return {
    knex,
    dialect,
    at: (d) => (dialect === 'sqlite' ? d.getTime() : d),
    bucket: (column, interval) =>
      dialect === 'sqlite'
        ? `strftime('${interval === 'day' ? '%Y-%m-%d' : '%Y-%m'}', ${column} / 1000, 'unixepoch')`
        : `to_char(${column} at time zone 'UTC', '${interval === 'day' ? 'YYYY-MM-DD' : 'YYYY-MM'}')`,
    async rows<T>(sql: string, bindings: readonly unknown[] = []) {
      const result = await knex.raw(sql, bindings as Knex.RawBinding[]);
      // pg answers { rows }, better-sqlite3 an array.
      return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
    },
  };
}

/** A numeric aggregate as a number: pg returns SUM/COUNT of integers as strings, and NULL for no rows. */
export const num = (v: unknown): number => (v == null ? 0 : Number(v));

/**
 * Each subscription's span of recurring revenue, the base every revenue figure is computed from:
 * - `arr_cents`: the price annualised (a monthly price × 12, a yearly price as is), so a yearly plan counts
 *   1/12 per month without rounding until the very end;
 * - `start_at`: when it started paying (the end of its trial, else its creation);
 * - `end_at`: when it stopped (ended, or paused/suspended: the mirror keeps no separate suspension
 *   time, so the last update stands in for it), null while it still pays.
 * A subscription is "active at t" when start_at <= t < end_at. Trialing, incomplete and expired
 * subscriptions never paid and have no span. The price is the current one (see README: revenue).
 */
export const SPANS = `(
  select s.id, s.customer_id, s.tier, s.status,
    case when s."interval" = 'year' then s.amount_cents else s.amount_cents * 12 end as arr_cents,
    case when s.trial_end is not null and s.trial_end > s.created_at then s.trial_end else s.created_at end
      as start_at,
    coalesce(s.ended_at, case s.status
      when 'canceled' then coalesce(s.canceled_at, s.updated_at)
      when 'paused' then coalesce(s.paused_at, s.updated_at)
      when 'suspended' then s.updated_at end) as end_at
  from subscriptions s
  where s.status not in ('incomplete', 'expired', 'trialing') and s.currency = ?
)`;

/** `active at ?` over a SPANS row aliased `sp`; binds the instant twice. */
export const ACTIVE_AT = '(sp.start_at <= ? and (sp.end_at is null or sp.end_at > ?))';

/** A span that ever paid (a trial canceled at its end has an empty one). */
export const EVER_PAID = '(sp.end_at is null or sp.end_at > sp.start_at)';
