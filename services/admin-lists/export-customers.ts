import { Readable } from 'node:stream';
import type { EntityManager } from '@mikro-orm/core';
import { listCustomers, type CustomerFilter } from './lists';

/** Rows fetched per query while streaming: a keyset page, so memory stays flat however long the list. */
const BATCH = 500;
const HEADER = ['customer_id', 'email', 'name', 'stripe_customer_id', 'user_id', 'tier', 'status', 'created'];

/**
 * What a spreadsheet may take for the start of a formula: `= + - @`, their fullwidth and small forms (which
 * East Asian locales of Excel read as the same), after any spaces, controls or invisible format characters
 * it skips (a leading space, NBSP, tab, line break, zero-width space, byte order mark); or a tab or carriage
 * return first, which some import dialogs turn into a cell of their own.
 */
const FORMULA_START = /^(?:[\t\r]|[\s\p{Cc}\p{Cf}]*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20\uFE66\uFE62\uFE63\uFE6B])/u;

/**
 * A CSV cell: quoted when it holds a comma, quote or line break, and prefixed with a quote mark when it
 * starts like a formula, so a spreadsheet shows a customer's name instead of running it.
 */
export function csvCell(value: string | null): string {
  if (value === null) return '';
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/**
 * The customers `GET /admin/billing/customers` would page through for the same filter and sort, as CSV,
 * streamed a keyset page at a time (never built in memory) in the list's own order.
 */
export function exportCustomersCsv(em: EntityManager, q: CustomerFilter & { sort: string }): Readable {
  async function* lines() {
    yield `${HEADER.join(',')}\r\n`;
    let cursor: string | undefined;
    do {
      const page = await listCustomers(em.fork(), { ...q, limit: BATCH, cursor });
      for (const c of page.customers) {
        yield `${[
          c.customerId,
          c.email,
          c.name,
          c.stripeCustomerId,
          c.userId,
          c.tier,
          c.subscriptionStatus,
          c.createdAt.toISOString(),
        ]
          .map(csvCell)
          .join(',')}\r\n`;
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }
  return Readable.from(lines());
}
