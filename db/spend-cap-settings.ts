import type { Sql } from './raw-sql';

/** A customer's stored spend cap columns, as credit_settings holds them. */
export interface SpendCapSettingsRow {
  spend_cap_cents: unknown;
  spend_cap_mode: string;
  spend_cap_max_cents: unknown;
}

/** The spend cap a customer set and the maximum an admin allows: whether usage may be refused. */
export function spendCapSettings(sql: Sql, customerId: string): Promise<SpendCapSettingsRow[]> {
  return sql.read<SpendCapSettingsRow>(
    'select spend_cap_cents, spend_cap_mode, spend_cap_max_cents from credit_settings where customer_id = ?',
    [customerId],
  );
}
