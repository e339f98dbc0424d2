import { randomUUID } from 'node:crypto';
import { conflict } from '../../domain/errors';
import type { Identity } from '../../domain/identity';
import { workflowIds } from '../../workflows/ids';
import { cancelPendingChange } from '../../workflows/messages';
import type { CoreDeps } from '../deps';
import { callWorkflow } from '../temporal/gateway';
import { ownLiveSubscription, requireLive } from './live-subscription';

/**
 * Withdraws the caller's plan change scheduled for period end (a downgrade, a cycle switch, a trial's
 * continuation), so they stay on the plan they have. Answers the change withdrawn.
 */
export async function withdrawPendingChange(deps: CoreDeps, identity: Identity) {
  const sub = requireLive((await ownLiveSubscription(deps, identity)).sub);
  const result = await callWorkflow(deps, () =>
    deps.temporal.workflow
      .getHandle(workflowIds.subscription(sub.id))
      .executeUpdate(cancelPendingChange, { args: [{ requestId: randomUUID() }] }),
  );
  // The change came due (or was replaced) between the check and this request's turn.
  if (!result.canceledPendingChange) {
    throw conflict('invalid_subscription_state', 'no plan change is scheduled');
  }
  return { withdrawn: result.canceledPendingChange, view: result.view };
}
