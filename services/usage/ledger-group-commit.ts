import type { EntityManager } from '@mikro-orm/core';
import { GroupCommit } from '../../db/group-commit';
import { inPostgresTransaction } from '../../db/postgres-transaction';
import { sqlFor } from '../../db/raw-sql';
import { SqliteWriter } from '../../db/sqlite-writer';
import {
  secondsSince,
  usageLedgerCommits,
  usageLedgerCommitSeconds,
  usageLedgerReports,
} from '../../telemetry/api-metrics';
import {
  fitsOneStatement,
  writeLedgerGroup,
  writeUncappedGroup,
  type LedgerWrite,
  type LedgerWriteIndexes,
  type LedgerWriteResult,
} from './ledger-transaction';

/** Rows one group commits at most (a single request of up to 1,000 events always goes in whole). */
const MAX_ROWS_PER_GROUP = 4000;
/**
 * While one group commits, the next is already on its way: the SQLite writer thread takes them one after
 * the other, and on PostgreSQL the database orders them (the unique event key, the cap's advisory locks),
 * as it does two API processes'. More than two only makes the groups smaller.
 */
const GROUPS_IN_FLIGHT = 2;

export type LedgerWriter = GroupCommit<LedgerWrite, LedgerWriteResult>;

/** The events a write stores, by their idempotency key: writes sharing one go in different groups. */
function eventKeys(w: LedgerWrite): string[] {
  return [...w.keys];
}

/**
 * How a group reaches the database: on PostgreSQL a single statement when no capped customer is in it,
 * otherwise one transaction on a connection of the pool whose statements go in bursts, two round trips
 * (db/postgres-transaction.ts); on a SQLite file the writer thread's connection, so neither the statements
 * nor the commit's fsync hold up the event loop; an in-memory SQLite database (one connection only) in the
 * ORM's own transaction.
 */
function groupRunner(em: EntityManager): (writes: LedgerWrite[]) => Promise<LedgerWriteResult[]> {
  const root = em.fork({ clear: true });
  const inOrmTransaction = (writes: LedgerWrite[]) =>
    root.transactional((tem) => writeLedgerGroup(sqlFor(tem), writes));
  const sql = sqlFor(root);
  const file = root.config.get('dbName');
  if (sql.postgres)
    return (writes) =>
      fitsOneStatement(writes)
        ? writeUncappedGroup(sql, writes)
        : inPostgresTransaction(root, (tsql, deferred) => writeLedgerGroup(tsql, writes, deferred));
  if (!file || file === ':memory:') return inOrmTransaction;
  const thread = new SqliteWriter<LedgerWrite[], LedgerWriteIndexes[]>(file, {
    module: require.resolve('./ledger-transaction'),
    name: 'ledgerGroupJob',
  });
  return async (writes) => {
    const answers = await thread.run(writes);
    return answers.map((a, m) => {
      const rows = (writes[m] as LedgerWrite).rows;
      return {
        ...a,
        inserted: a.inserted.map((i) => rows[i]!),
        dropped: a.dropped.map((i) => rows[i]!),
        refused: a.refused.map((x) => ({ ...x, row: rows[x.row]! })),
      };
    });
  };
}

/** Each committed group counted in the metrics: how often the ledger commits, for how long, for how many. */
function measured(
  run: (writes: LedgerWrite[]) => Promise<LedgerWriteResult[]>,
): (writes: LedgerWrite[]) => Promise<LedgerWriteResult[]> {
  return async (writes) => {
    const start = process.hrtime.bigint();
    const answers = await run(writes);
    usageLedgerCommits.inc();
    usageLedgerCommitSeconds.inc(secondsSince(start));
    usageLedgerReports.inc(writes.length);
    return answers;
  };
}

// One writer per database (every EntityManager fork of an ORM shares its driver).
const writers = new WeakMap<object, LedgerWriter>();

/**
 * The group commit of the usage ledger of the database `em` belongs to: concurrent report_usage requests
 * share one transaction and one fsync, and each is answered once that transaction has committed.
 */
export function ledgerWriterFor(em: EntityManager): LedgerWriter {
  const driver = em.getDriver();
  let writer = writers.get(driver);
  if (!writer) {
    writer = new GroupCommit<LedgerWrite, LedgerWriteResult>({
      run: measured(groupRunner(em)),
      keys: eventKeys,
      weight: (w) => w.rows.length,
      maxWeight: MAX_ROWS_PER_GROUP,
      concurrency: GROUPS_IN_FLIGHT,
    });
    writers.set(driver, writer);
  }
  return writer;
}

/** One report's events written through its database's group commit; answered once the group committed. */
export function writeLedger(em: EntityManager, write: LedgerWrite): Promise<LedgerWriteResult> {
  return ledgerWriterFor(em).submit(write);
}
