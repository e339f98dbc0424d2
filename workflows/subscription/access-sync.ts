import { ApplicationFailure, log, metricMeter, patched } from '@temporalio/workflow';
import { keycloakAttributes, lagoSyncKey, outsideSyncKey } from '../../domain/subscription';
import {
  accessSync,
  accessSyncLocal,
  accessSyncLocalOnce,
  lagoSyncLocal,
  lagoSyncLocalOnce,
} from './activity-proxies';
import type { Activities } from '../../activities';
import type { Run } from './run';
import { inTurn, KEYCLOAK_SYNCED_LOCALLY, LAGO_ON_PLAN_OR_STATUS } from './local-steps';
import { publish } from './visibility';
import { activityFailed, failureCause } from '../activity-failed';

/** The patch after which a Lago sync the worker skipped (no Lago settings) is not asked a second time. */
export const LAGO_SKIPPED_ONCE = 'lago-skipped-once';

/**
 * Keycloak and Lago follow every change of status or tier. The syncs run in order on a chain of their
 * own, so an outage there (retried until it is back) never holds up Stripe's events; the run waits for
 * the chain before it continues as new or ends.
 */
export function syncAccess(run: Run): void {
  const { state } = run;
  run.syncChain = run.syncChain.then(async () => {
    const key = outsideSyncKey(state);
    if (key === null || key === run.syncedKey) return;
    run.syncedKey = key;
    // Each system on its own: Lago refusing a plan code must not keep Keycloak's access stale, nor
    // one failure stop the syncs of later changes (a rejected link would end the whole chain).
    // Every renewal moves the period Keycloak holds: a local activity spares the server an activity task
    // and the run a workflow task each time. Runs before this patch used an activity task: kept for replay.
    const keycloak = (run.local.keycloak ?? patched(KEYCLOAK_SYNCED_LOCALLY)) ? accessSyncLocal : accessSync;
    const user = { customerId: state.customerId, email: state.email, attributes: keycloakAttributes(state) };
    await reportedSync(run, 'keycloak', () =>
      run.local.oneAtATime
        ? localTryThenTask(
            run,
            () => accessSyncLocalOnce.syncKeycloakUser(user),
            () => accessSync.syncKeycloakUser(user),
          )
        : keycloak.syncKeycloakUser(user),
    );
    // A renewal moves only the period end, which Lago does not hold: runs before this patch told it anyway.
    const lagoKey = lagoSyncKey(state);
    if (lagoKey === run.lagoSyncedKey && (run.local.lagoOnPlanOrStatus ?? patched(LAGO_ON_PLAN_OR_STATUS)))
      return;
    run.lagoSyncedKey = lagoKey;
    // Every sign-up moves the status Lago holds: local activities, as for Keycloak, where runs before this
    // patch used activity tasks (kept for replay).
    const lago: Pick<Activities, 'syncLagoCustomer' | 'syncLagoSubscription'> = run.local.oneAtATime
      ? {
          syncLagoCustomer: (c) =>
            localTryThenTask(
              run,
              () => lagoSyncLocalOnce.syncLagoCustomer(c),
              () => accessSync.syncLagoCustomer(c),
            ),
          syncLagoSubscription: (s) =>
            localTryThenTask(
              run,
              () => lagoSyncLocalOnce.syncLagoSubscription(s),
              () => accessSync.syncLagoSubscription(s),
            ),
        }
      : run.local.lago
        ? lagoSyncLocal
        : accessSync;
    await reportedSync(run, 'lago', async () => {
      const customer = await lago.syncLagoCustomer({
        customerId: state.customerId,
        email: state.email,
      });
      // A worker without Lago settings answers every Lago call with `skipped`: the subscription's call
      // would be an activity task and a workflow task for nothing, on every sign-up and status change.
      // Runs with local Lago syncs never ask the patch: asked after a local activity resolved, its marker
      // could land in another workflow task on replay.
      if (customer.skipped && (run.local.lago || patched(LAGO_SKIPPED_ONCE))) return;
      await lago.syncLagoSubscription({
        subscriptionId: state.subscriptionId,
        customerId: state.customerId,
        planCode: state.tier,
        status: state.status,
      });
    });
  });
}

/** A sync that failed for good is logged and shown in the run's details and state; later ones still run. */
async function reportedSync(
  { state }: Run,
  system: 'keycloak' | 'lago',
  sync: () => Promise<unknown>,
): Promise<void> {
  try {
    await sync();
    if (state.syncFailures?.some((f) => f.system === system)) {
      state.syncFailures = state.syncFailures.filter((f) => f.system !== system);
      await publish(state);
    }
  } catch (err) {
    if (!activityFailed(err)) throw err;
    const error = failureCause(err).slice(0, 300);
    log.warn('sync failed for good', { system, tier: state.tier, status: state.status, error });
    metricMeter
      .createCounter(
        'billing_access_sync_failures',
        undefined,
        'Keycloak or Lago syncs that failed for good.',
      )
      .add(1, { system });
    state.syncFailures = [
      ...(state.syncFailures ?? []).filter((f) => f.system !== system),
      { system, error, at: new Date().toISOString() },
    ];
    await publish(state);
  }
}

/**
 * A sync for a run whose local activities take turns: one local try in the run's turn, and if it failed in a
 * way a retry may mend, the same call as an activity task, retried there without holding the turn.
 */
async function localTryThenTask<T>(run: Run, local: () => Promise<T>, task: () => Promise<T>): Promise<T> {
  try {
    return await inTurn(run, local);
  } catch (err) {
    if (!activityFailed(err) || (err instanceof ApplicationFailure && err.nonRetryable)) throw err;
    return task();
  }
}
