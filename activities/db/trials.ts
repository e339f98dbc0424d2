import { ApplicationFailure } from '@temporalio/activity';
import { PaymentMethod, Subscription } from '../../db/entities';
import type { ActivityDeps } from '../deps';

export type TrialOutcome = 'converted' | 'expired' | 'not_trialing';

/** Database side of a trial's end: converts with a payment method on file, else expires. */
export function trialActivities({ orm }: ActivityDeps) {
  async function endTrial(subscriptionId: string): Promise<TrialOutcome> {
    const em = orm.em.fork();
    const sub = await em.findOne(Subscription, subscriptionId);
    if (!sub) throw ApplicationFailure.nonRetryable(`subscription ${subscriptionId} not found`, 'NotFound');
    // Idempotent: a retried activity, or one racing a webhook, sees the trial already ended.
    if (sub.status !== 'trialing') return 'not_trialing';
    const card = await em.count(PaymentMethod, { customer: sub.customer, detachedAt: null });
    sub.status = card > 0 ? 'active' : 'expired';
    if (sub.status === 'expired') sub.endedAt = new Date();
    await em.flush();
    return card > 0 ? 'converted' : 'expired';
  }

  return { endTrial };
}
