import {
  openSqliteConnection,
  statementCache,
  type SqliteConnection,
  type SqliteStatement,
} from './sqlite-connection';

/**
 * A query-only connection of its own to a SQLite file, for reads outside any transaction. Through the
 * ORM a raw read has its parameters quoted into the text, so better-sqlite3 prepares every call anew (a
 * profile of the customer reads put a third of the API's CPU there); here each text is prepared once and
 * bound. Being a connection of its own, it never sees another request's transaction half done on the
 * ORM's connection, only what has committed.
 */
export class SqliteReader {
  private readonly statement: (text: string) => SqliteStatement;
  /** Texts found not to be pure reads; they keep going through the ORM. */
  private readonly writers = new Set<string>();

  private constructor(private readonly db: SqliteConnection) {
    this.statement = statementCache(db);
  }

  static open(filename: string): SqliteReader {
    return new SqliteReader(openSqliteConnection(filename, { queryOnly: true }));
  }

  /** The rows of a read, or null when this statement or its parameters are not for this connection. */
  read<T>(text: string, params: readonly unknown[]): T[] | null {
    if (this.writers.has(text) || !params.every(bindable)) return null;
    const s = this.statement(text);
    if (!s.readonly || !s.reader) {
      this.writers.add(text);
      return null;
    }
    return s.all(params as unknown[]) as T[];
  }

  close(): void {
    this.db.close();
  }
}

/** What better-sqlite3 binds as it is; anything else (a Date, a boolean) is left to the ORM to convert. */
function bindable(v: unknown): boolean {
  return (
    v === null ||
    typeof v === 'number' ||
    typeof v === 'string' ||
    typeof v === 'bigint' ||
    Buffer.isBuffer(v)
  );
}
