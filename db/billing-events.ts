import { newId } from './ids';
import type { Sql } from './raw-sql';

/** An event for the outgoing webhooks, once per dedupe key. */
export interface NewBillingEvent {
  customerId: string;
  type: string;
  payload: Record<string, unknown>;
  /** Names the business fact (`credits.purchased:<grant>`): a retry or a second process adds nothing. */
  dedupeKey: string;
  at: Date;
}

/** Adds the event unless its dedupe key is there; answers whether this call added it. */
export async function recordBillingEvent(sql: Sql, e: NewBillingEvent): Promise<boolean> {
  const added = await sql.run(
    `insert into billing_events (id, customer_id, type, payload, dedupe_key, created_at, published_at)
     values (?, ?, ?, ?, ?, ?, null) on conflict (dedupe_key) do nothing returning id`,
    [newId('bev'), e.customerId, e.type, JSON.stringify(e.payload), e.dedupeKey, sql.date(e.at)],
  );
  return added.length > 0;
}
