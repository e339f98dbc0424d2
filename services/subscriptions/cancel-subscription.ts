import { randomUUID } from 'node:crypto';
import { notFound } from '../../domain/errors';
import type { Identity } from '../../domain/identity';
import { workflowIds } from '../../workflows/ids';
import {
  cancelSubscription as cancelUpdate,
  resumeSubscription as resumeUpdate,
} from '../../workflows/messages';
import type { CoreDeps } from '../deps';
import { callWorkflow } from '../temporal/gateway';
import { ownLiveSubscription, requireLive } from './live-subscription';

/**
 * Cancels the caller's subscription now or at period end. `subscriptionRef` (ours or Stripe's id), when
 * given, must name the caller's own live subscription: another's is not found, never "forbidden".
 */
export async function cancelSubscription(
  deps: CoreDeps,
  identity: Identity,
  req: { atPeriodEnd: boolean; subscriptionRef?: string },
) {
  const sub = requireLive((await ownLiveSubscription(deps, identity)).sub);
  const named = req.subscriptionRef;
  if (named !== undefined && named !== sub.id && named !== sub.stripeSubscriptionId) {
    throw notFound('subscription');
  }
  return callWorkflow(deps, () =>
    deps.temporal.workflow
      .getHandle(workflowIds.subscription(sub.id))
      .executeUpdate(cancelUpdate, { args: [{ atPeriodEnd: req.atPeriodEnd, requestId: randomUUID() }] }),
  );
}

/** Withdraws a cancellation pending for period end. */
export async function resumeSubscription(deps: CoreDeps, identity: Identity) {
  const sub = requireLive((await ownLiveSubscription(deps, identity)).sub);
  return callWorkflow(deps, () =>
    deps.temporal.workflow
      .getHandle(workflowIds.subscription(sub.id))
      .executeUpdate(resumeUpdate, { args: [{ requestId: randomUUID() }] }),
  );
}
