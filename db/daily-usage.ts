import type { EntityManager } from '@mikro-orm/core';
import { sqlFor, type Sql } from './raw-sql';

/** A customer's units per type on one day that still count against the daily quota (forgiven ones do not). */
export function quotaUsedByType(
  sql: Sql,
  customerId: string,
  day: string,
): Promise<{ type: string; n: number | string | null }[]> {
  return sql.run('select type, quantity - forgiven as n from daily_usage where customer_id = ? and day = ?', [
    customerId,
    day,
  ]);
}

/** Lets a customer off a day's quota: the units stay stored and billed, only the quota forgives them. */
export async function forgiveDay(sql: Sql, customerId: string, day: string): Promise<void> {
  await sql.run('update daily_usage set forgiven = quantity where customer_id = ? and day = ?', [
    customerId,
    day,
  ]);
}

/** Quota-counted units per day and type since a day, for operators watching usage across customers. */
export function quotaUsedPerDaySince(
  sql: Sql,
  since: string,
): Promise<{ day: string; type: string; n: number }[]> {
  return sql.run<{ day: string; type: string; n: number }>(
    'select day, type, sum(quantity - forgiven) as n from daily_usage where day >= ? group by day, type order by day',
    [since],
  );
}

/** The customers who used the most on a day, so operators see who drives the load. */
export function topCustomersOn(
  sql: Sql,
  day: string,
  top: number,
): Promise<{ customer_id: string; email: string; n: number }[]> {
  return sql.run<{ customer_id: string; email: string; n: number }>(
    `select d.customer_id, c.email, sum(d.quantity - d.forgiven) as n from daily_usage d
     join customers c on c.id = d.customer_id where d.day = ?
     group by d.customer_id, c.email having sum(d.quantity - d.forgiven) > 0 order by n desc limit ?`,
    [day, top],
  );
}

/** Units counted against a metered allowance since a UTC day, of one type or (`*`) every type. */
export async function allowanceUsedSince(
  em: EntityManager,
  customerId: string,
  from: string,
  usageType: string,
): Promise<number> {
  const [row] = await sqlFor(em).read<{ n: unknown }>(
    `select coalesce(sum(quantity - forgiven), 0) as n from daily_usage
       where customer_id = ? and day >= ? ${usageType === '*' ? '' : 'and type = ?'}`,
    usageType === '*' ? [customerId, from] : [customerId, from, usageType],
  );
  return Number(row?.n ?? 0);
}

/** A customer's units per day and type from a UTC day on, BYOK ones apart: what their daily chart draws. */
export function unitsPerDaySince(
  sql: Sql,
  customerId: string,
  from: string,
): Promise<{ day: string; type: string; n: number | string | null; byok_n: number | string | null }[]> {
  return sql.read(
    'select day, type, quantity as n, byok_quantity as byok_n from daily_usage where customer_id = ? and day >= ?',
    [customerId, from],
  );
}
