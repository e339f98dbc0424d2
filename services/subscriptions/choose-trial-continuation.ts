import type { BillingCycle } from '../../domain/billing-cycle';
import { AppError, conflict } from '../../domain/errors';
import type { Identity } from '../../domain/identity';
import { isValidContinuation, TRIAL_TIER } from '../../domain/trial';
import { workflowIds } from '../../workflows/ids';
import { changePlan } from '../../workflows/messages';
import type { CoreDeps } from '../deps';
import { callWorkflow } from '../temporal/gateway';
import { ownLiveSubscription, requireLive } from './live-subscription';
import { planChangeRequest, priceForSeats } from '../../db/plan-prices';
import { resolvePlanPrice } from './plan-price';

/**
 * Picks the plan a trial-tier trial becomes on day 7. The workflow keeps it as the subscription's pending
 * change, so reads show it and picking again replaces it.
 */
export async function chooseTrialContinuation(
  deps: CoreDeps,
  identity: Identity,
  pick: { tierId: string; billingCycle: BillingCycle },
) {
  const sub = requireLive((await ownLiveSubscription(deps, identity)).sub);
  if (sub.status !== 'trialing' || sub.tier !== TRIAL_TIER) {
    throw conflict('not_in_trial', 'Only a running trial takes a plan to continue with', {
      status: sub.status,
    });
  }
  const price = priceForSeats(
    await resolvePlanPrice(deps.orm.em.fork(), pick.tierId, pick.billingCycle, 'tierId', sub.currency),
    sub,
  );
  if (!isValidContinuation(price.plan.code, price.amountCents)) {
    throw new AppError('invalid', 'invalid_continuation', 'A trial continues with a paid plan', {
      field: 'tierId',
    });
  }
  const result = await callWorkflow(deps, () =>
    deps.temporal.workflow
      .getHandle(workflowIds.subscription(sub.id))
      .executeUpdate(changePlan, { args: [planChangeRequest(price, 'period_end')] }),
  );
  return { price, result };
}
