import type { EntityManager } from '@mikro-orm/core';
import { FINAL_STATUSES } from '../domain/subscription-status';
import { num, sqlFor } from './raw-sql';

/** How many live subscriptions each plan version carries (absent: none), before an operator edits or migrates it. */
export async function liveSubscriptionsPerPlan(em: EntityManager): Promise<Map<string, number>> {
  const final = [...FINAL_STATUSES];
  const counts = await sqlFor(em).rows<{ plan_id: string; n: unknown }>(
    `select plan_id, count(*) as n from subscriptions where status not in (${final.map(() => '?').join(', ')}) group by plan_id`,
    final,
  );
  return new Map(counts.map((c) => [c.plan_id, num(c.n)]));
}
