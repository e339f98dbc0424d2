import type { EntityManager } from '@mikro-orm/core';
import { FINAL_STATUSES } from '../domain/subscription-status';
import { num, sqlFor } from './raw-sql';

/** The customers named `prefix-…` who already hold a subscription that has not ended. */
export async function subscribedAlready(em: EntityManager, prefix: string): Promise<Set<string>> {
  const rows = await sqlFor(em).rows<{ user_id: string }>(
    `select distinct c.user_id from customers c join subscriptions s on s.customer_id = c.id
      where c.user_id like :pattern and s.status not in (${FINAL_STATUSES.map((f) => `'${f}'`).join(', ')})`,
    { pattern: `${prefix}-%` },
  );
  return new Set(rows.map((r) => r.user_id));
}

/** How many of the `prefix-…` customers' subscriptions the engine holds as active. */
export async function activeSubscriptionsOf(em: EntityManager, prefix: string): Promise<number> {
  const [row] = await sqlFor(em).rows<{ n: unknown }>(
    `select count(*) as n from subscriptions s join customers c on c.id = s.customer_id
      where c.user_id like :pattern and s.status = 'active'`,
    { pattern: `${prefix}-%` },
  );
  return num(row?.n);
}
