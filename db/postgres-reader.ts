import type { EntityManager } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
import { perDatabase } from './per-database';

interface PgClient {
  query(q: { name?: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}
interface PoolClient {
  acquireConnection(): Promise<PgClient>;
  releaseConnection(c: PgClient): Promise<unknown>;
}

/**
 * Names for the statements a process sends, per database: the first `max` texts each get one, with their
 * numbered text worked out once; a text past them comes back unnamed (each name holds a plan on every
 * connection of the pool, so they are counted).
 */
export function statementNames(
  prefix: string,
  max: number,
): (em: EntityManager, text: string) => { name?: string; text: string } {
  const namesOf = perDatabase(() => new Map<string, { name: string; text: string }>());
  return (em, text) => {
    const names = namesOf(em);
    const known = names.get(text);
    if (known) return known;
    // A trailing semicolon would end an empty statement after it.
    const numbered = numberedPlaceholders(text.trim().replace(/;+$/, ''));
    if (names.size >= max) return { text: numbered };
    const statement = { name: `${prefix}_${names.size + 1}`, text: numbered };
    names.set(text, statement);
    return statement;
  };
}

/** Reads named per database at most; past that, reads still bind their values, unnamed. */
const readStatement = statementNames('engine_read', 500);
/** Writes named per database at most: a write's text changes with its row count. */
const writeStatement = statementNames('engine_write', 48);

/** A statement that only reads (a select, or a with whose statement is a select). */
export function isRead(text: string): boolean {
  return /^\s*(select|with)\s/i.test(text);
}

/** `?` placeholders as PostgreSQL's `$1, $2…`, leaving any inside a quoted literal alone. */
export function numberedPlaceholders(text: string): string {
  let n = 0;
  let quoted = false;
  let out = '';
  for (const ch of text) {
    if (ch === "'") quoted = !quoted;
    out += ch === '?' && !quoted ? `$${++n}` : ch;
  }
  return out;
}

/** What goes to the driver as it is; anything else (an array to spread, an object) is left to the ORM. */
export function bindable(v: unknown): boolean {
  const t = typeof v;
  return (
    v === null || t === 'string' || t === 'number' || t === 'boolean' || t === 'bigint' || v instanceof Date
  );
}

/**
 * A read outside any transaction, on a connection of the ORM's pool, as a named statement with its values
 * bound: through the ORM the values are quoted into the text, so PostgreSQL parses and plans every call
 * anew and the API builds the text each time. Null when the read is not one for this path.
 */
export async function postgresRead<T>(
  em: EntityManager,
  text: string,
  params: readonly unknown[],
): Promise<T[] | null> {
  if (!isRead(text) || !params.every(bindable)) return null;
  return bound<T>(em, readStatement(em, text), params);
}

/**
 * A statement outside any transaction with its values bound rather than quoted into its text. Quoting is the
 * ORM's work for every value: a 1,000-event report's insert is 11,000 values, and storing it cost the API
 * 30 µs an event quoted, 25 bound (bench/usage-floor.ts). A write's text changes with its row count, so only
 * the first few texts a process sends are named (prepared once on each connection, planned once): the small
 * groups a busy gateway's reports make, whose planning was about a seventh of PostgreSQL's work for them.
 * Null when a value is not one to bind as it is.
 */
export function postgresWrite<T>(
  em: EntityManager,
  text: string,
  params: readonly unknown[],
): Promise<T[]> | null {
  if (!params.every(bindable)) return null;
  return bound<T>(em, writeStatement(em, text), params);
}

async function bound<T>(
  em: EntityManager,
  statement: { name?: string; text: string },
  params: readonly unknown[],
): Promise<T[]> {
  const pool = (em as unknown as SqlEntityManager).getKnex().client as unknown as PoolClient;
  const conn = await pool.acquireConnection();
  try {
    const values = params.map((v) => (v instanceof Date ? v.toISOString() : v));
    const res = await conn.query({ ...statement, values });
    return res.rows as T[];
  } finally {
    await pool.releaseConnection(conn);
  }
}
