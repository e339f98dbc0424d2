import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { Notification } from '../../db/entities';
import { newId } from '../../db/ids';
import type { ActivityDeps } from '../deps';

export interface NotificationInput {
  customerId: string;
  email: string;
  kind: string;
  /** Names the business event (e.g. `trial_will_end:<subscriptionId>`): a retry queues nothing new. */
  dedupeKey: string;
  payload?: Record<string, unknown>;
}

/** Customer notifications go to an outbox table first, so none is lost when a mail server is down. */
export function outboxActivities({ orm }: ActivityDeps) {
  async function queueNotification(input: NotificationInput): Promise<{ queued: boolean }> {
    const em = orm.em.fork();
    em.create(Notification, {
      id: newId('ntf'),
      customerId: input.customerId,
      email: input.email,
      kind: input.kind,
      dedupeKey: input.dedupeKey,
      payload: input.payload ?? {},
    });
    try {
      await em.flush();
      return { queued: true };
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException) return { queued: false };
      throw err;
    }
  }

  return { queueNotification };
}
