import { ApplicationFailure } from '@temporalio/activity';
import type { MikroORM } from '@mikro-orm/core';
import type { Logger } from 'pino';
import { AccessSyncFailure } from '../db/entities';
import { accessSyncFailureOpen } from '../db/access-sync-failures';
import { clockOf, type Clock } from '../domain/clock';
import type { SyncKeycloakUserInput, SyncKeycloakUserResult } from './keycloak';
import type { LagoCustomerInput, LagoSubscriptionInput } from './lago';
import { wasSkipped } from './lago/types';

interface AccessSyncActivities {
  syncKeycloakUser(input: SyncKeycloakUserInput): Promise<SyncKeycloakUserResult>;
  syncLagoCustomer(input: LagoCustomerInput): Promise<unknown>;
  syncLagoSubscription(input: LagoSubscriptionInput): Promise<unknown>;
}

/**
 * The Keycloak and Lago syncs, each leaving a row in access_sync_failures when it fails for good (the
 * workflow then gives up on that change) and clearing it once a later sync of the same user or customer
 * succeeds. Retryable failures leave nothing: Temporal retries them until the system is back.
 */
export function recordAccessSyncFailures<T extends AccessSyncActivities>(
  deps: { orm: MikroORM; logger: Logger; clock?: Clock | null },
  acts: T,
): Pick<T, keyof AccessSyncActivities> {
  async function note(system: 'keycloak' | 'lago', subject: string, failure: unknown): Promise<void> {
    const forGood = failure === null || (failure instanceof ApplicationFailure && failure.nonRetryable);
    if (!forGood) return;
    try {
      const em = deps.orm.em.fork();
      if (failure === null) {
        // Read first: nearly every sync succeeds with nothing to clear, and a read takes no write lock.
        if (await accessSyncFailureOpen(em, system, subject)) {
          await em.nativeDelete(AccessSyncFailure, { system, subject });
        }
      } else {
        const error = String((failure as Error).message).slice(0, 1000);
        await em.upsert(AccessSyncFailure, { system, subject, error, failedAt: clockOf(deps).now() });
      }
    } catch (err) {
      // The record is for operators; the sync's own outcome is what the workflow must see.
      deps.logger.warn({ err, system }, 'could not record the access sync outcome');
    }
  }

  function recorded<I, R>(
    system: 'keycloak' | 'lago',
    subjectOf: (input: I) => string,
    fn: (input: I) => Promise<R>,
    clearsOnSuccess: boolean | ((result: R) => boolean),
  ): (input: I) => Promise<R> {
    return async (input) => {
      let result: R;
      try {
        result = await fn(input);
      } catch (err) {
        await note(system, subjectOf(input), err);
        throw err;
      }
      if (typeof clearsOnSuccess === 'function' ? clearsOnSuccess(result) : clearsOnSuccess)
        await note(system, subjectOf(input), null);
      return result;
    };
  }

  // Lago's two calls make one sync of a customer's subscription: only the second one succeeding clears it,
  // or the first answering that Lago is not configured (the workflow then asks no second time).
  return {
    syncKeycloakUser: recorded('keycloak', (i) => i.email.trim().toLowerCase(), acts.syncKeycloakUser, true),
    syncLagoCustomer: recorded('lago', (i) => i.customerId, acts.syncLagoCustomer, wasSkipped),
    syncLagoSubscription: recorded('lago', (i) => i.customerId, acts.syncLagoSubscription, true),
  } as Pick<T, keyof AccessSyncActivities>;
}
