import { settingsChangedAtOfCrossing } from '../../domain/credit-purchase';
import { turnAutoTopUpOff } from '../../db/credit-settings';
import { emailOfCustomer } from '../../db/customer-reads';
import type { ActivityDeps } from '../deps';
import type { NotificationInput } from '../notify/outbox';

/** Turning automatic top-ups off. */
export function createAutoTopUpOffActivities(deps: ActivityDeps) {
  /** Turns auto top-up off after a second decline, with the reason shown on the customer's dashboard. */
  async function disableAutoTopUp(req: {
    customerId: string;
    crossingKey: string;
    reason: string;
  }): Promise<{ disabled: boolean; notice: NotificationInput | null }> {
    const em = deps.orm.em.fork();
    const note = `Automatic top-up was turned off: ${req.reason.slice(0, 300)}`;
    const choiceAt = settingsChangedAtOfCrossing(req.crossingKey);
    const choiceOf = choiceAt === null ? null : new Date(choiceAt);
    if (!(await turnAutoTopUpOff(em, req.customerId, note, choiceOf)))
      return { disabled: false, notice: null };
    const email = await emailOfCustomer(em, req.customerId);
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
