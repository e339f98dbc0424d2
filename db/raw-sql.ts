import type { EntityManager } from '@mikro-orm/core';
import { PostgreSqlPlatform } from '@mikro-orm/postgresql';

/**
 * Raw SQL for the usage hot path (one multi-row statement per batch instead of one ORM entity per event).
 * Both dialects accept `INSERT … ON CONFLICT … DO NOTHING|UPDATE … RETURNING`; only value encodings differ:
 * MikroORM keeps SQLite datetimes as epoch milliseconds and booleans as 0/1.
 */
export interface Sql {
  readonly postgres: boolean;
  run<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  date(d: Date): unknown;
  bool(b: boolean): unknown;
}

export function sqlFor(em: EntityManager): Sql {
  const postgres = em.getPlatform() instanceof PostgreSqlPlatform;
  return {
    postgres,
    run: (sql, params = []) =>
      em.getConnection().execute(sql, params, 'all', em.getTransactionContext()) as Promise<never[]>,
    date: (d) => (postgres ? d.toISOString() : d.getTime()),
    bool: (b) => (postgres ? b : b ? 1 : 0),
  };
}

/** A datetime column as read by raw SQL: a Date from PostgreSQL, epoch milliseconds from SQLite. */
export function readDate(value: unknown): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'number') return new Date(value);
  return new Date(String(value));
}

/** `?, ?, ?` groups for a multi-row VALUES list. */
export function placeholders(rows: number, columns: number): string {
  const row = `(${new Array(columns).fill('?').join(', ')})`;
  return new Array(rows).fill(row).join(', ');
}
