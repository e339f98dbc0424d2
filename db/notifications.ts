import { newId } from './ids';
import type { Sql } from './raw-sql';

/** A mail for the notifications outbox. */
export interface NewNotification {
  customerId: string;
  email: string;
  kind: string;
  /** Names the business fact, so a second process or a retry queues no second mail. */
  dedupeKey: string;
  payload: Record<string, unknown>;
  at: Date;
}

/** Queues the mail unless one with its dedupe key is queued already (each fact is told once). */
export async function queueNotification(sql: Sql, n: NewNotification): Promise<void> {
  await sql.run(
    `insert into notifications (id, customer_id, email, kind, dedupe_key, payload, created_at)
     values (?, ?, ?, ?, ?, ?, ?) on conflict (dedupe_key) do nothing`,
    [newId('ntf'), n.customerId, n.email, n.kind, n.dedupeKey, JSON.stringify(n.payload), sql.date(n.at)],
  );
}
