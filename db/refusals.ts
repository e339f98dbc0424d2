import {
  ConstraintViolationException,
  ForeignKeyConstraintViolationException,
  UniqueConstraintViolationException,
} from '@mikro-orm/core';

// PostgreSQL SQLSTATE classes 22 (data exception, e.g. 22021 invalid byte sequence) and 23 (integrity).
const SQLSTATE = /^(2[23])[0-9A-Z]{3}$/;
// 08P01 (protocol violation): a statement PostgreSQL's wire format cannot carry, e.g. a NUL inside a value.
const PG_DATA = new Set(['08P01']);
// better-sqlite3's extended result codes for the same two families.
const SQLITE_DATA = new Set(['SQLITE_MISMATCH', 'SQLITE_TOOBIG', 'SQLITE_RANGE']);

/** How the database refused a write for good, as either dialect says it. */
export interface Refusal {
  /** A constraint (`constraint`) or a value it cannot hold (`data`). */
  kind: 'constraint' | 'data';
  /** A unique or foreign-key violation, which a concurrent insert can cause and a second try mend. */
  mayBeRace: boolean;
  /** The driver's code (SQLSTATE or SQLite's), '' when it gave none. */
  code: string;
}

/**
 * Whether an error is the database refusing what was written, which the same write reproduces; null for
 * anything else (an outage, a timeout), which a retry may mend.
 */
export function refusalOf(err: unknown): Refusal | null {
  if (!(err instanceof Error)) return null;
  const raw: unknown = (err as { code?: unknown }).code;
  const code = typeof raw === 'string' ? raw : '';
  const mayBeRace =
    err instanceof UniqueConstraintViolationException ||
    err instanceof ForeignKeyConstraintViolationException ||
    code === '23505' ||
    code === '23503' ||
    code.startsWith('SQLITE_CONSTRAINT_UNIQUE') ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
  const constraint =
    err instanceof ConstraintViolationException ||
    SQLSTATE.exec(code)?.[1] === '23' ||
    code.startsWith('SQLITE_CONSTRAINT');
  if (constraint) return { kind: 'constraint', mayBeRace, code };
  if (SQLSTATE.exec(code)?.[1] === '22' || PG_DATA.has(code) || SQLITE_DATA.has(code))
    return { kind: 'data', mayBeRace: false, code };
  return null;
}
