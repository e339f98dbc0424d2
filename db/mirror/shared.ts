import { lockKeys, type Sql } from '../raw-sql';

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
