import { dirname } from 'node:path';

/** The parts of a better-sqlite3 statement the engine's own connections use. */
export interface SqliteStatement {
  /** Whether the statement returns rows. */
  readonly reader: boolean;
  /** Whether it leaves the database as it was (SELECT and the like). */
  readonly readonly: boolean;
  all(params: unknown[]): unknown[];
  run(params: unknown[]): unknown;
}

export interface SqliteConnection {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): void;
  pragma(sql: string): unknown;
  readonly inTransaction: boolean;
  close(): void;
}

/**
 * A connection of the engine's own to a SQLite file, beside the ORM's, with the ORM's settings (WAL,
 * synchronous=FULL, foreign keys, a busy timeout) so both see one database. better-sqlite3 is loaded from
 * where the ORM's driver finds it: the engine does not depend on it by name.
 */
export function openSqliteConnection(filename: string, opts: { queryOnly?: boolean } = {}): SqliteConnection {
  const from = dirname(require.resolve('@mikro-orm/better-sqlite'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Database = require(require.resolve('better-sqlite3', { paths: [from] })) as new (
    filename: string,
    opts: { timeout: number },
  ) => SqliteConnection;
  const db = new Database(filename, { timeout: 5000 });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  // A multi-row INSERT … ON CONFLICT keeps a statement journal; on disk that is a temporary file created,
  // written and unlinked by every transaction, about half the cost of writing a few events.
  db.pragma('temp_store = MEMORY');
  // As the ORM's connection: indexes of many rows stay in memory rather than being re-read.
  db.pragma('cache_size = -65536');
  db.pragma('mmap_size = 268435456');
  if (opts.queryOnly) db.pragma('query_only = ON');
  return db;
}

/** Prepared statements by their text, bounded: multi-row statements differ in their row count. */
export function statementCache(db: SqliteConnection, max = 500): (text: string) => SqliteStatement {
  const prepared = new Map<string, SqliteStatement>();
  return (text) => {
    let s = prepared.get(text);
    if (!s) {
      if (prepared.size >= max) prepared.clear();
      s = db.prepare(text);
      prepared.set(text, s);
    }
    return s;
  };
}
