import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { Notification } from '../../db/entities';
import { newId } from '../../db/ids';
import { clockOf } from '../../domain/clock';
import type { ActivityDeps } from '../deps';
import { messageFor, transportFor } from './email';

export interface NotificationInput {
  customerId: string;
  email: string;
  kind: string;
  /** Names the business event (e.g. `trial_will_end:<subscriptionId>`): a retry queues nothing new. */
  dedupeKey: string;
  payload?: Record<string, unknown>;
}

/**
 * Customer notifications go to an outbox table first, so none is lost when a mail server is down; with
 * SMTP configured the same activity then sends the row and stamps it. A failed send fails the activity,
 * and Temporal's retry finds the row already queued and tries the send again, never a second row.
 */
export function createOutboxActivities(deps: ActivityDeps) {
  const { orm, mail } = deps;
  const clock = clockOf(deps);
  async function queueNotification(input: NotificationInput): Promise<{ queued: boolean; sent: boolean }> {
    const em = orm.em.fork();
    let queued = true;
    try {
      await em.insert(Notification, {
        id: newId('ntf'),
        customerId: input.customerId,
        email: input.email,
        kind: input.kind,
        dedupeKey: input.dedupeKey,
        payload: input.payload ?? {},
        createdAt: clock.now(),
      });
    } catch (err) {
      if (!(err instanceof UniqueConstraintViolationException)) throw err;
      queued = false;
    }
    if (!mail) return { queued, sent: false };
    const row = await em.findOneOrFail(Notification, { dedupeKey: input.dedupeKey });
    if (row.sentAt) return { queued, sent: false };
    try {
      await transportFor(mail.url).sendMail(messageFor(row, mail.from));
    } catch (err) {
      row.error = (err as Error).message.slice(0, 500);
      await em.flush();
      throw err;
    }
    row.sentAt = clock.now();
    row.error = null;
    await em.flush();
    return { queued, sent: true };
  }

  return { queueNotification };
}
