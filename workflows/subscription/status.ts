import { patched } from '@temporalio/workflow';
import type { SubscriptionSnapshot } from '../../domain/stripe-snapshots';
import { isFinal, type SubscriptionStatus } from '../../domain/subscription-status';
import { db, dbLocal } from './activity-proxies';
import { syncAccess } from './access-sync';
import { setPending } from './pending-change';
import type { Run } from './run';
import { publish } from './visibility';

/** The patch after which the state is recorded by a local activity, in the task that decided it. */
export const STATE_RECORDED_LOCALLY = 'state-recorded-locally';

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
  const record = patched(STATE_RECORDED_LOCALLY) ? dbLocal : db;
  await record.recordSubscriptionState({ subscriptionId: state.subscriptionId, snapshot: snap, status });
  syncAccess(run);
  await publish(state);
}
