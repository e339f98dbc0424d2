import type { Sql } from './raw-sql';

/**
 * Units per UTC day and type from the daily counters (less what was forgiven), days inclusive: what an
 * operator's usage chart shows without reading the event ledger.
 */
export function dailyUsageByType(
  sql: Sql,
  customerId: string,
  firstDay: string,
  lastDay: string,
): Promise<{ day: string; type: string; n: unknown }[]> {
  return sql.run<{ day: string; type: string; n: unknown }>(
    `select day, type, sum(quantity - forgiven) as n from daily_usage
     where customer_id = ? and day >= ? and day <= ? group by day, type`,
    [customerId, firstDay, lastDay],
  );
}

/** Units per type in [start, end) from the event ledger, BYOK apart, since BYOK usage is not billed. */
export function periodUsageByType(
  sql: Sql,
  customerId: string,
  start: Date,
  end: Date,
): Promise<{ type: string; byok: unknown; n: unknown }[]> {
  return sql.run<{ type: string; byok: unknown; n: unknown }>(
    `select type, byok, sum(quantity) as n from usage_events
     where customer_id = ? and occurred_at >= ? and occurred_at < ? group by type, byok`,
    [customerId, sql.date(start), sql.date(end)],
  );
}
