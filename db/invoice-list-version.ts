import type { EntityManager } from '@mikro-orm/core';
import { sqlFor } from './raw-sql';

/** The version triggers bump on any write an invoice page shows: is a remembered page still current. */
export async function storedInvoiceListVersion(
  em: EntityManager,
  customerId: string,
): Promise<number | null> {
  const [row] = await sqlFor(em).read<{ v: number | string }>(
    'select invoice_list_version as v from customers where id = ?',
    [customerId],
  );
  return row ? Number(row.v) : null;
}
