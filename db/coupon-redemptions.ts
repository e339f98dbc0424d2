import type { EntityManager } from '@mikro-orm/core';
import { num, sqlFor } from './raw-sql';

const COLUMN = { couponId: 'coupon_id', promotionCodeId: 'promotion_code_id' } as const;

/** Redemptions so far per coupon or per promotion code id, counted by the database (not row by row). */
export async function redemptionCounts(
  em: EntityManager,
  by: keyof typeof COLUMN,
  ids: readonly string[],
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (ids.length === 0) return out;
  const column = COLUMN[by];
  const rows = await sqlFor(em).run<{ id: string; n: number | string }>(
    `select ${column} as id, count(*) as n from coupon_redemptions
      where ${column} in (${ids.map(() => '?').join(', ')}) group by ${column}`,
    [...ids],
  );
  for (const r of rows) out.set(r.id, num(r.n));
  return out;
}
