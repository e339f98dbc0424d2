import type { SubscriptionSnapshot } from '../../domain/stripe-snapshots';
import { isFinal, type SubscriptionStatus } from '../../domain/subscription-status';
import { db, dbLocal } from './activity-proxies';
import { syncAccess } from './access-sync';
import { setPending } from './pending-change';
import { inTurn, askedPatch, STATE_RECORDED_LOCALLY } from './local-steps';
import type { Run } from './run';
import { publish } from './visibility';

/** Every status change is mirrored, synced to Keycloak and Lago, and shown to operators. */
export async function setStatus(
  run: Run,
  status: SubscriptionStatus,
  snap: SubscriptionSnapshot | null = null,
): Promise<void> {
  const { state } = run;
  state.status = status;
  // An ended subscription switches to nothing.
  if (isFinal(status)) await setPending(run, null);
  const recorded = { subscriptionId: state.subscriptionId, snapshot: snap, status };
  await (askedPatch(run, STATE_RECORDED_LOCALLY)
    ? inTurn(run, () => dbLocal.recordSubscriptionState(recorded))
    : db.recordSubscriptionState(recorded));
  syncAccess(run);
  await publish(state);
}
