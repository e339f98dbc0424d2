import type { EntityManager } from '@mikro-orm/core';
import { PostgreSqlPlatform } from '@mikro-orm/postgresql';
import { inPostgresTransaction } from '../postgres-transaction';
import { asDriverError, lockKeys, sqlFor, type Sql } from '../raw-sql';

/** Stripe's epoch seconds as a Date (null when absent). */
export const date = (s: number | null | undefined) => (s ? new Date(s * 1000) : null);

/**
 * Rows read only to point at them (a charge's customer and invoice) are read as their id alone: a whole
 * row would be written back by the flush on SQLite, where MikroORM sees its dates as changed, and an
 * unchanged invoice or customer would get a new `updated_at` each time one of its charges is mirrored.
 */
export const LINK_ONLY = { fields: ['id'] as never[] };

/**
 * One writer at a time links a Stripe invoice with what points at it (its charges and credit notes). The
 * invoice's write links the rows already stored, and a charge's write looks for the invoice: on PostgreSQL
 * two such transactions at once each miss the other's uncommitted row, and the charge stayed unlinked for
 * good. Under this lock the second waits for the first to commit, then sees its row. SQLite has one writer.
 */
export function lockInvoiceLinks(sql: Sql, stripeInvoiceId: string): Promise<void> {
  return lockKeys(sql, [`invoice-links:${stripeInvoiceId}`]);
}

/**
 * A mirror write's transaction. On PostgreSQL, outside a caller's transaction, its independent statements
 * share round trips (`inTurn`) and its last writes ride with COMMIT (`deferred`): the intake writes every
 * renewal's invoice and charge from the events' payloads, and on a busy machine each round trip is a wait
 * for the cores, so a lane's time for a payload was mostly its ten round trips. `tx` is the entity manager
 * of the transaction, null on the pipelined path, which has none; a write that needs one asks for
 * `pipelined: false`. Elsewhere (SQLite, or inside a caller's transaction) the ORM's transaction, one
 * statement after another.
 */
export async function inMirrorTransaction<T>(
  em: EntityManager,
  work: (sql: Sql, tx: EntityManager | null, deferred: (writes: Promise<unknown>) => void) => Promise<T>,
  pipelined = true,
): Promise<T> {
  if (pipelined && em.getPlatform() instanceof PostgreSqlPlatform && !em.getTransactionContext())
    return asDriverError(
      em,
      inPostgresTransaction(em, (sql, deferred) => work(sql, null, deferred)),
    );
  return em.transactional(async (tx) => {
    const held: Promise<unknown>[] = [];
    const out = await work(sqlFor(tx), tx, (writes) => {
      // Awaited below; a failure before then must not surface as an unhandled rejection.
      writes.catch(() => {});
      held.push(writes);
    });
    await Promise.all(held);
    return out;
  });
}
