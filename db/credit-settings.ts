import type { EntityManager } from '@mikro-orm/core';
import { sqlFor } from './raw-sql';

/**
 * Makes sure the customer has a settings row to change: one atomic statement that does nothing when the
 * row exists, so two first changes at once both find it instead of one failing on the key.
 */
export async function ensureCreditSettingsRow(
  em: EntityManager,
  customerId: string,
  now: Date,
): Promise<void> {
  const sql = sqlFor(em);
  await sql.run(
    'insert into credit_settings (customer_id, updated_at) values (?, ?) on conflict (customer_id) do nothing',
    [customerId, sql.date(now)],
  );
}
