import type { EntityManager } from '@mikro-orm/core';
import type { BillingAnchor } from '../domain/billing-anchor';
import { asDriverError, sqlFor } from './raw-sql';

/** A subscription's mirror row as its run makes it, before Stripe has said anything about it. */
export interface NewSubscriptionRow {
  id: string;
  customerId: string;
  planId: string;
  interval: 'month' | 'year';
  amountCents: number;
  /** Absent: its plan's. */
  currency?: string;
  billingAnchor: BillingAnchor;
}

/**
 * Makes a subscription's row in one statement, its tier and default currency from its plan: `made`, or
 * `exists` when a retried step finds it made (nothing changes), or `missing` when its plan or customer is
 * not there. The run's first step, where the entity manager took six statements (three reads and a
 * transaction round one insert).
 */
export async function insertSubscriptionRow(
  em: EntityManager,
  row: NewSubscriptionRow,
): Promise<'made' | 'exists' | 'missing'> {
  const sql = sqlFor(em);
  // The row's own timestamps, wall time as the entity stamps them.
  const at = new Date();
  const made = await asDriverError(
    em,
    sql.run<{ id: string }>(
      `insert into subscriptions (id, customer_id, plan_id, tier, status, interval, amount_cents, currency,
       cancel_at_period_end, awaiting_card, billing_anchor, seats, arr_cents, created_at, updated_at)
     select ?, c.id, p.id, p.code, 'incomplete', ?, ?, coalesce(?, p.currency), ?, ?, ?, 1, 0, ?, ?
       from plans p, customers c
      where p.id = ? and c.id = ?
     on conflict (id) do nothing
     returning id`,
      [
        row.id,
        row.interval,
        row.amountCents,
        row.currency ?? null,
        sql.bool(false),
        sql.bool(false),
        row.billingAnchor,
        sql.date(at),
        sql.date(at),
        row.planId,
        row.customerId,
      ],
    ),
  );
  if (made.length > 0) return 'made';
  const [found] = await sql.read<{ id: string }>('select id from subscriptions where id = ?', [row.id]);
  return found ? 'exists' : 'missing';
}
