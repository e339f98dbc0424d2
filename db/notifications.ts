import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core';
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

/** Queues the mail unless one with its dedupe key is queued already (each fact is told once). */
export async function queueNotification(sql: Sql, n: NewNotification): Promise<void> {
  await sql.run(
    `insert into notifications (id, customer_id, email, kind, dedupe_key, payload, created_at)
     values (?, ?, ?, ?, ?, ?, ?) on conflict (dedupe_key) do nothing`,
    [newId('ntf'), n.customerId, n.email, n.kind, n.dedupeKey, JSON.stringify(n.payload), sql.date(n.at)],
  );
}

/** The same as `queueNotification`, through the ORM, saying whether this call queued it. */
export async function queueNotificationOnce(em: EntityManager, n: NewNotification): Promise<boolean> {
  try {
    await em.insert(Notification, {
      id: newId('ntf'),
      customerId: n.customerId,
      email: n.email,
      kind: n.kind,
      dedupeKey: n.dedupeKey,
      payload: n.payload,
      createdAt: n.at,
    });
    return true;
  } catch (err) {
    if (!(err instanceof UniqueConstraintViolationException)) throw err;
    return false;
  }
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
