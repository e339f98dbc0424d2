import type { EntityManager } from '@mikro-orm/core';
import { perDatabase } from '../../db/per-database';
import { storedInvoiceListVersion } from '../../db/invoice-list-version';

/**
 * Invoice pages remembered with the customer's invoice list version, which the database's triggers bump in
 * the transaction of any write a page would show (db/migrations, InvoiceListVersion): a customer's invoices
 * change a few times a month and are read on every dashboard page. Pages per database, the least recently
 * read dropped first.
 */
const PAGES_PER_DATABASE = 5_000;

interface Remembered {
  version: number;
  page: unknown;
}

const memoOf = perDatabase(() => new Map<string, Remembered>());

/** The version of what the customer's invoice list shows, or null when there is no such customer. */
export function invoiceListVersion(em: EntityManager, customerId: string): Promise<number | null> {
  return storedInvoiceListVersion(em, customerId);
}

/**
 * The page `key` of the customer's invoices: the one remembered when the version is unchanged, else
 * `build`'s, remembered. The version is read first, so a page built after it shows that version or a later
 * one, and a page remembered under a version that is still current is never older than the database.
 * Inside a transaction nothing is remembered: what it reads may yet be rolled back.
 */
export async function rememberedInvoicePage<T>(
  em: EntityManager,
  customerId: string,
  key: string,
  build: () => Promise<T>,
): Promise<T> {
  if (em.getTransactionContext()) return build();
  const version = await invoiceListVersion(em, customerId);
  if (version === null) return build();
  const memo = memoOf(em);
  const at = `${customerId}|${key}`;
  const hit = memo.get(at);
  memo.delete(at);
  if (hit?.version === version) {
    memo.set(at, hit);
    return hit.page as T;
  }
  const page = await build();
  if (memo.size >= PAGES_PER_DATABASE) memo.delete(memo.keys().next().value as string);
  memo.set(at, { version, page });
  return page;
}
