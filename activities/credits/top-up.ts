import { ApplicationFailure } from '@temporalio/activity';
import type { ActivityDeps } from '../deps';
import { createTopUpChargeActivities } from './top-up-charge';
import type { TopUpOutcome, TopUpTry } from './top-up-outcome';
import { createTopUpPrepareActivities } from './top-up-prepare';
import { createTopUpRecordActivities } from './top-up-record';

export type { TopUpOutcome } from './top-up-outcome';
export type { TopUpCharge, PreparedTopUp } from './top-up-prepare';
export type { TopUpPayment } from './top-up-charge';

/**
 * An automatic top-up's try in three steps the workflow runs one by one: prepare (load and decide),
 * charge (the one Stripe call), record (mark, grant, tell).
 */
export function createTopUpActivities(deps: ActivityDeps) {
  const { prepareTopUp } = createTopUpPrepareActivities(deps);
  const { chargeTopUpCard } = createTopUpChargeActivities(deps);
  const { recordTopUp } = createTopUpRecordActivities(deps);

  /**
   * The three steps as the one activity they used to be, for top-up workflows started before the split
   * (their histories schedule `chargeTopUp`); a refusal no retry mends fails it as it always did.
   */
  async function chargeTopUp(req: TopUpTry): Promise<TopUpOutcome> {
    const prepared = await prepareTopUp(req);
    if (!prepared.charge) return prepared.outcome;
    const payment = await chargeTopUpCard(prepared.charge);
    const outcome = await recordTopUp({ charge: prepared.charge, payment });
    if (payment.status === 'refused')
      throw ApplicationFailure.create({
        message: payment.message ?? 'Stripe refused the charge',
        type: payment.failureType ?? undefined,
        nonRetryable: true,
      });
    return outcome;
  }

  return { prepareTopUp, chargeTopUpCard, recordTopUp, chargeTopUp };
}
