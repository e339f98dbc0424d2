import type { EntityManager } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
import { bucketSql, type Sql } from './raw-sql';
import { bindable, isRead, statementNames } from './postgres-reader';

interface PgResult {
  rows: unknown[];
}
interface PgClient {
  query(text: string): Promise<PgResult | PgResult[]>;
}
interface PoolClient {
  acquireConnection(): Promise<PgClient>;
  releaseConnection(c: PgClient): Promise<unknown>;
}

interface Queued {
  text: string;
  resolve: (rows: unknown[]) => void;
  reject: (err: unknown) => void;
}

/**
 * Reads a transaction makes often, prepared once on each connection: PostgreSQL took two to three times
 * as long to plan the credit account's reads as to run them, on every draw-down. Few names, as each holds
 * a plan in every connection of the pool; a read past them is sent as it is.
 */
const preparedStatement = statementNames('engine_tx', 32);
/** Writes too, named apart (their text changes with their row count) so they never take a read's name. */
const preparedWrite = statementNames('engine_txw', 64);
/** Values a write may bind at most to be prepared: about twenty rows of a report's events. */
const PREPARED_WRITE_VALUES = 240;
/** The statements prepared on each connection, as far as this process knows; null when it cannot know. */
const preparedOn = new WeakMap<PgClient, Set<string> | null>();

/**
 * A transaction on one connection of the ORM's pool whose statements travel together: every statement
 * issued before the event loop's next turn goes to PostgreSQL in one message (the simple query protocol
 * runs them in order, as if sent one by one), BEGIN rides with the first of them and COMMIT with the last
 * writes handed to `deferred`. A transaction of ten statements issued in two bursts is two round trips
 * instead of twelve:
 * on a machine where each socket write costs a couple of hundred microseconds, most of a report's cost.
 * Values are quoted into the text by the ORM's own formatter, exactly as `Sql.run` has it do through the
 * ORM. A statement that fails fails the rest of its message with it, and the transaction is rolled back.
 */
export async function inPostgresTransaction<T>(
  em: EntityManager,
  /** `deferred` takes the transaction's last writes unawaited, so COMMIT goes out in the same message. */
  work: (sql: Sql, deferred: (writes: Promise<unknown>) => void) => Promise<T>,
): Promise<T> {
  const platform = em.getPlatform();
  const pool = (em as unknown as SqlEntityManager).getKnex().client as unknown as PoolClient;
  const conn = await pool.acquireConnection();
  if (!preparedOn.has(conn)) preparedOn.set(conn, new Set());
  const prepared = preparedOn.get(conn) ?? null;
  // Prepared in this transaction: known once it has ended well (a PREPARE outlives a rollback, but one
  // after a failed statement never ran).
  const preparing = new Set<string>();
  let queue: Queued[] = [{ text: 'begin', resolve: () => {}, reject: () => {} }];
  let scheduled = false;
  // One message at a time: a connection runs one query, and the next burst may depend on this one's rows.
  let sending: Promise<void> = Promise.resolve();
  const send = () => {
    scheduled = false;
    const batch = queue;
    queue = [];
    if (batch.length === 0) return;
    sending = sending.then(async () => {
      try {
        const res = await conn.query(batch.map((b) => b.text).join(';\n'));
        const results = Array.isArray(res) ? res : [res];
        batch.forEach((b, i) => b.resolve(results[i]?.rows ?? []));
      } catch (err) {
        for (const b of batch) b.reject(err);
      }
    });
  };
  let done = false;
  // Once COMMIT is queued: a statement after it would run on its own, outside the transaction.
  let committing = false;
  const enqueue = <R>(text: string): Promise<R[]> =>
    new Promise<unknown[]>((resolve, reject) => {
      // A branch still running after the transaction ended must not reach a connection back in the pool.
      if (done) return reject(new Error('the transaction has ended'));
      if (committing)
        return reject(new Error(`issued after COMMIT, outside the transaction: ${text.slice(0, 80)}`));
      queue.push({ text, resolve, reject });
      if (!scheduled) {
        scheduled = true;
        setImmediate(send);
      }
    }) as Promise<R[]>;
  // A trailing semicolon would end an empty statement, and shift every later result by one.
  const run = <R>(text: string, params: unknown[] = []): Promise<R[]> =>
    enqueue<R>(platform.formatQuery(text.trim().replace(/;+$/, ''), params));
  // Set before the transaction's first EXECUTE, for the transaction only (see `read`).
  let genericPlans = false;
  // A read whose values all meet a column, as EXECUTE of a statement prepared on this connection: the
  // simple protocol still carries it in the burst, and PostgreSQL keeps one plan for it. Left to itself it
  // does not for every read: the account sums, over parameter arrays or a day's range, it judged dearer as
  // a generic plan than as a fresh one and planned anew at each call (0.13 ms a group's, twice what running
  // it took; docs/benchmarks.md), where every plan it made was the same walk of the customer's indexes.
  const execute = <R>(
    statement: { name?: string; text: string },
    text: string,
    params: unknown[],
  ): Promise<R[]> => {
    const { name, text: numbered } = statement;
    if (!prepared || !name) return run<R>(text, params);
    if (!genericPlans) {
      genericPlans = true;
      void enqueue('set local plan_cache_mode = force_generic_plan').catch(() => {});
    }
    if (!prepared.has(name) && !preparing.has(name)) {
      preparing.add(name);
      void enqueue(`prepare ${name} as ${numbered}`).catch(() => {});
    }
    const args = params.length ? `(${params.map(() => '?').join(', ')})` : '';
    return enqueue<R>(platform.formatQuery(`execute ${name}${args}`, params));
  };
  const read = <R>(text: string, params: unknown[] = []): Promise<R[]> =>
    isRead(text) && params.every(bindable)
      ? execute<R>(preparedStatement(em, text), text, params)
      : run<R>(text, params);
  // A small write (a group of a gateway's reports) as well: parsing and planning its text was about a
  // tenth of PostgreSQL's work for a credit report. A large one stays as text, its plan not worth holding.
  const write = <R>(text: string, params: unknown[] = []): Promise<R[]> =>
    params.length <= PREPARED_WRITE_VALUES && params.every(bindable)
      ? execute<R>(preparedWrite(em, text), text, params)
      : run<R>(text, params);
  const sql: Sql = {
    postgres: true,
    dialect: 'postgresql',
    pipelined: true,
    run,
    read,
    write,
    rows: () => Promise.reject(new Error('rows() reads outside a transaction')),
    date: (d) => d.toISOString(),
    bool: (b) => b,
    bucket: (column, interval) => bucketSql(true, column, interval),
  };
  try {
    const held: Promise<unknown>[] = [];
    const out = await work(sql, (writes) => held.push(writes));
    // Still queued (the burst goes out on the loop's next turn): COMMIT joins the last writes' message, so
    // every deferred write must have issued all of its statements by now.
    const commit = run('commit');
    committing = true;
    await Promise.all([...held, commit]);
    for (const name of preparing) prepared?.add(name);
    return out;
  } catch (err) {
    // Whatever was still queued goes nowhere; the transaction, aborted or not, is undone.
    done = true;
    // Left unsettled rather than rejected: nobody may be waiting on them, and an unhandled rejection ends the process.
    queue = [];
    await sending.catch(() => {});
    await conn.query('rollback').catch(() => {});
    // Which of this transaction's PREPAREs ran is the session's to say.
    if (preparing.size > 0) preparedOn.set(conn, await preparedStatementsOf(conn));
    throw err;
  } finally {
    done = true;
    await pool.releaseConnection(conn);
  }
}

/** The engine's statements prepared on a connection, as its session has them; null when it cannot say. */
async function preparedStatementsOf(conn: PgClient): Promise<Set<string> | null> {
  try {
    const res = await conn.query(`select name from pg_prepared_statements where name like 'engine_tx%'`);
    const rows = (Array.isArray(res) ? res[0]?.rows : res.rows) as { name: string }[] | undefined;
    return new Set((rows ?? []).map((r) => r.name));
  } catch {
    // Not knowing, preparing again could fail on a name that exists: this connection's reads go unprepared.
    return null;
  }
}
