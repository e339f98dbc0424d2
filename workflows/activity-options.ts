import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';
import { NON_RETRYABLE_FAILURES } from '../domain/failure-types';

/**
 * Error types an activity throws for failures a retry cannot fix (declines, bad input, missing rows, data
 * the database refuses: see activities/failures.ts, which also marks them non-retryable itself).
 */
export const NON_RETRYABLE_ERRORS = [...NON_RETRYABLE_FAILURES];

/** Database work: quick, retried briefly with backoff; a longer outage is retried for up to an hour. */
export const dbActivityOptions: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: NON_RETRYABLE_ERRORS,
  },
  scheduleToCloseTimeout: '1 hour',
};

/**
 * Calls that move money or billing state (Stripe, the usage reports): a minute per attempt, as Stripe can
 * be slow to answer an invoice payment, backoff up to ten minutes, retried until they come back.
 */
export const stripeCallOptions: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '10 minutes',
    nonRetryableErrorTypes: NON_RETRYABLE_ERRORS,
  },
};

/**
 * Keeping Keycloak and Lago in step with a subscription (access): thirty seconds per attempt and backoff
 * capped at five minutes, so access catches up within minutes of them coming back; retried for as long
 * as they are down (no schedule-to-close limit), so nothing is lost.
 */
export const accessSyncOptions: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '5 minutes',
    nonRetryableErrorTypes: NON_RETRYABLE_ERRORS,
  },
};

/**
 * Re-reading a subscription from Stripe after its events: one quick GET, run as a local activity inside
 * the workflow task, which spares the server an activity task's round trips on every event. Past the
 * local retry threshold, retries wait on workflow timers, so a long Stripe outage is still ridden out.
 */
export const stripeReadLocalOptions: LocalActivityOptions = {
  startToCloseTimeout: '30 seconds',
  localRetryThreshold: '10 seconds',
  retry: stripeCallOptions.retry,
};

/**
 * A Stripe call a caller is waiting on (a sign-in making its Stripe customer), run as a local activity in the
 * workflow task that decided it. Attempts as long as an activity task's; past the local retry threshold,
 * retries wait on workflow timers, so an outage is ridden out as before.
 */
export const stripeCallLocalOptions: LocalActivityOptions = {
  startToCloseTimeout: stripeCallOptions.startToCloseTimeout,
  localRetryThreshold: '10 seconds',
  retry: stripeCallOptions.retry,
};

/**
 * Recording the subscription's state after a re-read: one short transaction, run as a local activity in
 * the same workflow task as the read, which spares the server an activity task and the workflow a task
 * on every renewal. Retried as database work is; past the local threshold on workflow timers, so a
 * database outage is ridden out for the same hour.
 */
export const dbLocalOptions: LocalActivityOptions = {
  startToCloseTimeout: '30 seconds',
  localRetryThreshold: '10 seconds',
  retry: dbActivityOptions.retry,
  scheduleToCloseTimeout: '1 hour',
};

/**
 * Telling Keycloak a subscription's new period or status: one quick call, run as a local activity in the
 * workflow task that decided it, as every renewal makes one. Retried as access syncs are, past the local
 * threshold on workflow timers, so a Keycloak outage is still ridden out for as long as it lasts; an attempt
 * holds the run's next events for at most its ten seconds.
 */
export const accessSyncLocalOptions: LocalActivityOptions = {
  startToCloseTimeout: '10 seconds',
  localRetryThreshold: '10 seconds',
  retry: accessSyncOptions.retry,
};

/**
 * Telling Lago of a sign-up, a plan or a status change, as a local activity (every sign-up makes one): an
 * attempt as long as the activity task's was, since a Lago call may take its client's twenty seconds; it
 * holds the run's next events that long at most. Retried as access syncs are, on workflow timers past the
 * local threshold.
 */
export const lagoSyncLocalOptions: LocalActivityOptions = {
  startToCloseTimeout: accessSyncOptions.startToCloseTimeout,
  localRetryThreshold: '10 seconds',
  retry: accessSyncOptions.retry,
};

/**
 * The sync chain's local try, once a run's local activities take turns: one attempt and no local retries,
 * since a retry's backoff would hold the run's turn for as long as Keycloak or Lago is down; a failure goes
 * on as an activity task, retried there for as long as the outage lasts.
 */
export const accessSyncLocalOnceOptions: LocalActivityOptions = {
  startToCloseTimeout: accessSyncLocalOptions.startToCloseTimeout,
  retry: { maximumAttempts: 1 },
};

/** Lago's local try on the same terms, with the activity task's time for an attempt. */
export const lagoSyncLocalOnceOptions: LocalActivityOptions = {
  startToCloseTimeout: accessSyncOptions.startToCloseTimeout,
  retry: { maximumAttempts: 1 },
};
