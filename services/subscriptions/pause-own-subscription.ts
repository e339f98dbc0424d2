import { randomUUID } from 'node:crypto';
import { conflict } from '../../domain/errors';
import type { Identity } from '../../domain/identity';
import { customerPauseRefusal } from '../../domain/subscription';
import { workflowIds } from '../../workflows/ids';
import { pauseSubscription } from '../../workflows/messages';
import type { CoreDeps } from '../deps';
import { callWorkflow } from '../temporal/gateway';
import { ownLiveSubscription, requireLive } from './live-subscription';

/** Stripe paused it at a trial's end for want of a card: only a card added resumes it, and bills it. */
export function cardRequired() {
  return conflict('card_required', 'Your trial ended without a card; add a card to continue your plan');
}

/**
 * Pauses (Stripe stops invoicing, access stops) or unpauses the caller's own subscription, where their plan
 * lets them; the workflow refuses what its state does not allow (already paused, not paused, ended).
 */
export async function pauseOwnSubscription(deps: CoreDeps, identity: Identity, paused: boolean) {
  const sub = requireLive((await ownLiveSubscription(deps, identity)).sub);
  if (sub.awaitingCard) throw cardRequired();
  const refusal = customerPauseRefusal(sub.plan, paused);
  if (refusal) throw conflict('pause_not_allowed', refusal);
  return callWorkflow(deps, () =>
    deps.temporal.workflow
      .getHandle(workflowIds.subscription(sub.id))
      .executeUpdate(pauseSubscription, { args: [{ paused, requestId: randomUUID() }] }),
  );
}
