import type { EntityManager } from '@mikro-orm/core';
import { CreditSettings, Customer } from '../../db/entities';
import type { ActivityDeps } from '../deps';
import type { NotificationInput } from '../notify/outbox';

async function emailOf(em: EntityManager, customerId: string): Promise<string | null> {
  return (await em.findOne(Customer, { id: customerId }, { fields: ['email'] }))?.email ?? null;
}

/** Turning automatic top-ups off. */
export function createAutoTopUpOffActivities(deps: ActivityDeps) {
  /** Turns auto top-up off after a second decline, with the reason shown on the customer's dashboard. */
  async function disableAutoTopUp(req: {
    customerId: string;
    crossingKey: string;
    reason: string;
  }): Promise<{ disabled: boolean; notice: NotificationInput | null }> {
    const em = deps.orm.em.fork();
    const settings = await em.findOne(CreditSettings, { customerId: req.customerId });
    if (!settings) return { disabled: false, notice: null };
    const note = `Automatic top-up was turned off: ${req.reason.slice(0, 300)}`;
    if (settings.autoTopUpEnabled || settings.autoTopUpNote !== note) {
      settings.autoTopUpEnabled = false;
      settings.autoTopUpNote = note;
      await em.flush();
    }
    const email = await emailOf(em, req.customerId);
    return {
      disabled: true,
      notice: email
        ? {
            customerId: req.customerId,
            email,
            kind: 'auto_top_up_disabled',
            dedupeKey: `auto_top_up_disabled:${req.crossingKey}`,
            payload: { reason: req.reason },
          }
        : null,
    };
  }

  return { disableAutoTopUp };
}
