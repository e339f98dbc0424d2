import type { EntityManager } from '@mikro-orm/core';
import { Notification } from './entities';
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

/**
 * Queues the mail unless one with its dedupe key is queued already (each fact is told once); says whether
 * this call queued it.
 */
export async function queueNotification(sql: Sql, n: NewNotification): Promise<boolean> {
  const rows = await sql.run<{ id: string }>(
    `insert into notifications (id, customer_id, email, kind, dedupe_key, payload, created_at)
     values (?, ?, ?, ?, ?, ?, ?) on conflict (dedupe_key) do nothing returning id`,
    [newId('ntf'), n.customerId, n.email, n.kind, n.dedupeKey, JSON.stringify(n.payload), sql.date(n.at)],
  );
  return rows.length > 0;
}

/** The queued mail of a fact, or null once it has been sent. */
export async function unsentNotification(em: EntityManager, dedupeKey: string): Promise<Notification | null> {
  const row = await em.findOneOrFail(Notification, { dedupeKey });
  return row.sentAt ? null : row;
}

/** A send's outcome on its row: sent at `at`, or the mail server's refusal kept for the next try. */
export async function recordSend(
  em: EntityManager,
  row: Notification,
  outcome: { sentAt: Date } | { error: string },
): Promise<void> {
  if ('sentAt' in outcome) {
    row.sentAt = outcome.sentAt;
    row.error = null;
  } else {
    row.error = outcome.error.slice(0, 500);
  }
  await em.flush();
}
