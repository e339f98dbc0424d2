import { patched } from '@temporalio/workflow';

/** The patch after which Lago is synced only when the plan or the status changes, not on every renewal. */
export const LAGO_ON_PLAN_OR_STATUS = 'lago-on-plan-or-status';

/** The patch after which Keycloak is synced by a local activity, in the workflow task that decided it. */
export const KEYCLOAK_SYNCED_LOCALLY = 'keycloak-synced-locally';

/** The patch after which the subscription's record is made by a local activity, in the run's first task. */
export const RECORD_CREATED_LOCALLY = 'record-created-locally';

/** The patch after which a run's first read of its Stripe subscription answers the events queued for it. */
export const START_READ_ANSWERS_QUEUED = 'start-read-answers-queued';

/** The patch after which Lago is synced by local activities, as Keycloak is. */
export const LAGO_SYNCED_LOCALLY = 'lago-synced-locally';

/** The patch after which the customer's cards are re-read by a local activity. */
export const PAYMENT_METHODS_SYNCED_LOCALLY = 'payment-methods-synced-locally';

/**
 * Steps a sign-up makes that became local activities, each in the workflow task that decided it: each
 * activity task was a round trip through the server and a workflow task more. Which way a run goes is asked
 * once, in its first activation, before any local activity has resolved: a patch first asked in an
 * activation a local activity resolved can land in another workflow task on replay (docs/architecture.md).
 * A run begun before these patches keeps its activity tasks until it continues as new.
 */
export interface LocalSteps {
  recordCreated: boolean;
  startReadAnswersQueued: boolean;
  lago: boolean;
  cards: boolean;
  /**
   * Asked here by runs begun with these patches; a run from before asks them where its syncs run (undefined
   * here), as its recorded history has them there.
   */
  keycloak: boolean | undefined;
  lagoOnPlanOrStatus: boolean | undefined;
}

export function localSteps(): LocalSteps {
  // In this order, always: a patch's marker is a command.
  const recordCreated = patched(RECORD_CREATED_LOCALLY);
  const startReadAnswersQueued = patched(START_READ_ANSWERS_QUEUED);
  const lago = patched(LAGO_SYNCED_LOCALLY);
  const cards = patched(PAYMENT_METHODS_SYNCED_LOCALLY);
  return {
    recordCreated,
    startReadAnswersQueued,
    lago,
    cards,
    keycloak: lago ? patched(KEYCLOAK_SYNCED_LOCALLY) : undefined,
    lagoOnPlanOrStatus: lago ? patched(LAGO_ON_PLAN_OR_STATUS) : undefined,
  };
}
