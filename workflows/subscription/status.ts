import type { SubscriptionSnapshot } from '../../activities/stripe/snapshots';
import { isFinal, type SubscriptionStatus } from '../../domain/subscription-status';
import { db } from './activity-proxies';
import { syncAccess } from './access-sync';
import { setPending } from './pending-change';
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
  await db.recordSubscriptionState({ subscriptionId: state.subscriptionId, snapshot: snap, status });
  syncAccess(run);
  await publish(state);
}
