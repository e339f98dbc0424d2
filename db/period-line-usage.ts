import type { Sql } from './raw-sql';

/** A period's rolled-up units per rate-card line but the pool, so the usage views can rate each line. */
export function rolledUnitsByLine(
  sql: Sql,
  customerId: string,
  periodStart: Date,
  poolKey: string,
): Promise<{ line_key: string; n: unknown }[]> {
  return sql.read<{ line_key: string; n: unknown }>(
    `select line_key, sum(quantity) as n from usage_rollups
        where customer_id = ? and period_start = ? and line_key <> ? group by line_key`,
    [customerId, sql.date(periodStart), poolKey],
  );
}

/** The period's events not rolled up yet (units less prepaid), which the views place on their lines. */
export function unrolledEventsSince(
  sql: Sql,
  customerId: string,
  periodStart: Date,
): Promise<{ type: string; byok: unknown; metadata: unknown; q: unknown; prepaid: unknown }[]> {
  return sql.read<{ type: string; byok: unknown; metadata: unknown; q: unknown; prepaid: unknown }>(
    `select type, byok, metadata, quantity - prepaid as q, prepaid from usage_events
        where customer_id = ? and rollup_id is null and occurred_at >= ?`,
    [customerId, sql.date(periodStart)],
  );
}
