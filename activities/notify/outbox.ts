import { queueNotification as queueOnce, recordSend, unsentNotification } from '../../db/notifications';
import { sqlFor } from '../../db/raw-sql';
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
    const queued = await queueOnce(sqlFor(em), {
      ...input,
      payload: input.payload ?? {},
      at: clock.now(),
    });
    if (!mail) return { queued, sent: false };
    const row = await unsentNotification(em, input.dedupeKey);
    if (!row) return { queued, sent: false };
    try {
      await transportFor(mail.url).sendMail(messageFor(row, mail.from));
    } catch (err) {
      await recordSend(em, row, { error: (err as Error).message });
      throw err;
    }
    await recordSend(em, row, { sentAt: clock.now() });
    return { queued, sent: true };
  }

  return { queueNotification };
}
