import type { EntityManager } from '@mikro-orm/core';
import type { Knex, SqlEntityManager } from '@mikro-orm/knex';
import { PostgreSqlPlatform } from '@mikro-orm/postgresql';
import { postgresRead, postgresWrite } from './postgres-reader';
import { SqliteReader } from './sqlite-reader';

/**
 * The one way to raw SQL on both dialects, for the hot paths (one multi-row statement per usage batch
 * instead of one ORM entity per event) and the aggregates (revenue, admin lists). Both dialects accept
 * `INSERT … ON CONFLICT … DO NOTHING|UPDATE … RETURNING`; what differs is hidden here: MikroORM keeps SQLite
 * datetimes as epoch milliseconds and booleans as 0/1, date formatting differs, and pg returns bigint
 * aggregates as strings (see `num`).
 */
export interface Sql {
  readonly postgres: boolean;
  readonly dialect: 'sqlite' | 'postgresql';
  /**
   * Statements issued before the event loop's next turn travel to PostgreSQL in one message
   * (db/postgres-transaction.ts), so independent ones are worth issuing together (`inTurn`).
   */
  readonly pipelined?: boolean;
  /**
   * Positional (`?`) statement inside the entity manager's transaction, if it has one. Outside one, a
   * pure read of a SQLite file binds its values on the query-only connection (SqliteReader) instead of
   * having the ORM quote them into the text.
   */
  run<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /**
   * A hot-path read (positional `?`): as `run`, but on PostgreSQL outside a transaction a named statement
   * with bound values (postgresRead), and inside a batched one (db/postgres-transaction.ts) a statement
   * prepared once on the connection. Bound, a value PostgreSQL cannot type from its place (one in the
   * select list, say) comes back as text, so only reads whose values all meet a column use it.
   */
  read<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /**
   * A write whose every value meets a column (an insert's values, a comparison with a column): as `run`,
   * but on PostgreSQL outside a transaction with its values bound instead of quoted into the text, and
   * inside a batched one (db/postgres-transaction.ts), when small, a statement prepared once on the
   * connection; either way a value PostgreSQL cannot type from its place would fail the statement.
   */
  write<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** A read with positional (`?`) or named (`:name`) bindings, outside any transaction. */
  rows<T = Record<string, unknown>>(
    sql: string,
    bindings?: readonly unknown[] | Record<string, unknown>,
  ): Promise<T[]>;
  /** A Date as a bind value comparable with a datetime column. */
  date(d: Date): unknown;
  bool(b: boolean): unknown;
  /** SQL turning a datetime column into a UTC 'YYYY-MM-DD' or 'YYYY-MM' label. */
  bucket(column: string, interval: 'day' | 'month'): string;
}

export function sqlFor(em: EntityManager): Sql {
  const postgres = em.getPlatform() instanceof PostgreSqlPlatform;
  const knex = (): Knex => (em as unknown as SqlEntityManager).getKnex();
  const ormRun = (sql: string, params: readonly unknown[], trx?: unknown) =>
    em.getConnection().execute(sql, params as unknown[], 'all', trx) as Promise<never[]>;
  const run = <T>(sql: string, params: unknown[] = []): Promise<T[]> => {
    const trx = em.getTransactionContext();
    if (!trx && !postgres) {
      try {
        const rows = readerOf(em)?.read<T>(sql, params);
        if (rows) return Promise.resolve(rows);
      } catch (err) {
        // better-sqlite3 throws where it is called; callers expect a rejected promise, as from the ORM.
        return Promise.reject(err);
      }
    }
    return ormRun(sql, params, trx) as Promise<T[]>;
  };
  return {
    postgres,
    dialect: postgres ? 'postgresql' : 'sqlite',
    run,
    read: (sql, params = []) =>
      !postgres || em.getTransactionContext()
        ? run(sql, params)
        : postgresRead<never>(em, sql, params).then((rows) => rows ?? ormRun(sql, params)),
    write: (sql, params = []) =>
      (postgres && !em.getTransactionContext() && postgresWrite<never>(em, sql, params)) || run(sql, params),
    async rows<T>(sql: string, bindings: readonly unknown[] | Record<string, unknown> = []) {
      const result = await knex().raw(sql, bindings as Knex.RawBinding[]);
      // pg answers { rows }, better-sqlite3 an array.
      return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
    },
    date: (d) => (postgres ? d.toISOString() : d.getTime()),
    bool: (b) => (postgres ? b : b ? 1 : 0),
    bucket: (column, interval) => bucketSql(postgres, column, interval),
  };
}

/** SQL turning a datetime column into a UTC 'YYYY-MM-DD' or 'YYYY-MM' label, on either dialect. */
export function bucketSql(postgres: boolean, column: string, interval: 'day' | 'month'): string {
  return postgres
    ? `to_char(${column} at time zone 'UTC', '${interval === 'day' ? 'YYYY-MM-DD' : 'YYYY-MM'}')`
    : `strftime('${interval === 'day' ? '%Y-%m-%d' : '%Y-%m'}', ${column} / 1000, 'unixepoch')`;
}

// One query-only connection per SQLite file (every fork of an ORM shares its driver); none in memory.
const readers = new WeakMap<object, SqliteReader | null>();

function readerOf(em: EntityManager): SqliteReader | null {
  const driver = em.getDriver();
  let reader = readers.get(driver);
  if (reader === undefined) {
    const file = em.config.get('dbName');
    reader = file && file !== ':memory:' ? SqliteReader.open(file) : null;
    readers.set(driver, reader);
  }
  return reader;
}

/** Closes the query-only connection of the database `em` belongs to, with the ORM. */
export function closeReaderOf(em: EntityManager): void {
  const driver = em.getDriver();
  readers.get(driver)?.close();
  readers.delete(driver);
}

/** A numeric aggregate as a number: pg returns SUM/COUNT of integers as strings, and NULL for no rows. */
export const num = (v: unknown): number => (v == null ? 0 : Number(v));

/** A nullable numeric column (PostgreSQL's bigint comes as text): null stays null. */
export const numOrNull = (v: unknown): number | null => (v == null ? null : Number(v));

/** A datetime column as read by raw SQL: a Date from PostgreSQL, epoch milliseconds from SQLite. */
export function readDate(value: unknown): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'number') return new Date(value);
  return new Date(String(value));
}

/** A boolean column as read by raw SQL: true from PostgreSQL, 1 from SQLite. */
export const readBool = (v: unknown): boolean => v === true || v === 1 || v === '1' || v === 't';

/**
 * A JSON object column as read by raw SQL (parsed by PostgreSQL's driver, text from SQLite); anything
 * that is not an object, or not JSON, reads as `{}`.
 */
export function readJsonObject(raw: unknown): Record<string, unknown> {
  let v = raw;
  if (typeof raw === 'string') {
    try {
      v = JSON.parse(raw);
    } catch {
      return {};
    }
  }
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** A JSON list of text column as read by raw SQL; anything that is not a list, or not JSON, reads as `[]`. */
export function readJsonList(raw: unknown): string[] {
  let v = raw;
  if (typeof raw === 'string') {
    try {
      v = JSON.parse(raw);
    } catch {
      return [];
    }
  }
  return Array.isArray(v) ? v.map(String) : [];
}

/**
 * Independent statements, in this order: on a pipelined transaction all issued at once, so they share one
 * round trip (PostgreSQL still runs them one after another, each seeing what the ones before it did);
 * elsewhere one after another, as a connection that queues its queries is not promised to keep their order.
 * Each step must issue its statement before its first await.
 */
export async function inTurn<T extends unknown[]>(
  sql: Sql,
  ...steps: { [K in keyof T]: () => Promise<T[K]> }
): Promise<T> {
  if (sql.pipelined) return (await Promise.all(steps.map((step) => step()))) as T;
  const out: unknown[] = [];
  for (const step of steps) out.push(await step());
  return out as T;
}

/**
 * Holds these keys until the transaction ends, waiting first for any other transaction that holds one
 * (PostgreSQL's transaction-level advisory locks, one select taking them left to right, so writers that
 * take several pass them sorted and cannot deadlock). SQLite has one writer, so there it does nothing.
 */
export async function lockKeys(sql: Sql, keys: readonly string[]): Promise<void> {
  if (!sql.postgres || keys.length === 0) return;
  await sql.write(`select ${keys.map(() => 'pg_advisory_xact_lock(hashtext(?))').join(', ')}`, [...keys]);
}

/** A list cut into lists of at most `size`, for statements whose bound values have a ceiling. */
export function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/** `?, ?, ?` groups for a multi-row VALUES list. */
export function placeholders(rows: number, columns: number): string {
  const row = `(${new Array(columns).fill('?').join(', ')})`;
  return new Array(rows).fill(row).join(', ');
}

/**
 * A parenthesised list of SQL string literals, `('a', 'b')`, for `column in …` over a set the domain
 * defines (status names and the like), so a query states the domain's set instead of a copy of it. Only
 * plain names are accepted: anything that would need quoting is refused rather than escaped.
 */
export function sqlList(values: readonly string[]): string {
  if (values.length === 0) throw new RangeError('an SQL list needs at least one value');
  for (const v of values) {
    if (!/^[a-z][a-z0-9_]*$/.test(v)) throw new RangeError(`"${v}" is not a plain name for an SQL list`);
  }
  return `(${values.map((v) => `'${v}'`).join(', ')})`;
}

/** PostgreSQL's array literal of these texts, each element quoted: one value to bind, cast to an array. */
export function postgresTextArray(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`;
}

/**
 * Updates one row by id, and only when it does not already hold `values`: a copy already stored writes
 * nothing, so no trigger fires and `stamps` (an `updated_at`) move only with a change. Column names are the
 * caller's constants, never input.
 */
export function updateWhenChanged(
  sql: Sql,
  table: string,
  id: string,
  values: readonly (readonly [column: string, value: unknown])[],
  stamps: readonly (readonly [column: string, value: unknown])[] = [],
): Promise<unknown[]> {
  const same = sql.postgres ? 'is not distinct from' : 'is';
  const set = [...values, ...stamps];
  return sql.run(
    `update ${table} set ${set.map(([c]) => `${c} = ?`).join(', ')}
      where id = ? and not (${values.map(([c]) => `${c} ${same} ?`).join(' and ')})`,
    [...set.map(([, v]) => v), id, ...values.map(([, v]) => v)],
  );
}

/**
 * A raw write that fails as the entity manager's flush would: as its driver exception (a unique or
 * not-null violation), which activities/failures.ts classifies, rather than the driver's own error.
 */
export function asDriverError<T>(em: EntityManager, write: Promise<T>): Promise<T> {
  return write.catch((err: unknown) => {
    throw em.getDriver().convertException(err as Error);
  });
}
