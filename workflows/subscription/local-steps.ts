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
 * The patch that mirrors a refused trial's invoice: its events reach a workflow that is ending, so the
 * customer and the console would not see the $1.00 charged and refunded (the chaos run found it).
 */
export const REFUSED_TRIAL_MIRRORS_INVOICE = 'refused-trial-mirrors-invoice';

/** The patch after which the state is recorded by a local activity, in the task that decided it. */
export const STATE_RECORDED_LOCALLY = 'state-recorded-locally';

/** The patch that made invoice.paid end dunning only for an invoice Stripe says is paid. */
export const INVOICE_PAID_CHECKS_STATUS = 'invoice-paid-checks-status';

/** The patch that hands a new dunning run a card announced before its failure's event. */
export const DUNNING_TAKES_EARLIER_CARD = 'dunning-takes-earlier-card';

/** The patch after which one read of an invoice also answers the mirror-only events of it already queued. */
export const INVOICE_READ_ANSWERS_QUEUED = 'invoice-read-answers-queued';

/**
 * The patch after which invoice.paid for an invoice not in dunning is left to the invoice's mirror run,
 * which the intake starts for every paid invoice: no read here, and no subscription re-read, as a status
 * the payment moves comes with its own customer.subscription.updated.
 */
export const INVOICE_PAID_OUTSIDE_DUNNING_MIRRORED_APART = 'invoice-paid-outside-dunning-mirrored-apart';

/**
 * The re-read a handler ends with answers the customer.subscription.* events already queued too (a failed
 * renewal's two updates wait behind its invoice.payment_failed), as the plain re-read always did.
 */
export const HANDLER_REREAD_ANSWERS_QUEUED = 'handler-reread-answers-queued';

/** Patches a run that takes turns asks at its start, where runs before asked them where they apply. */
const ASKED_AT_START = [
  STATE_RECORDED_LOCALLY,
  HANDLER_REREAD_ANSWERS_QUEUED,
  INVOICE_READ_ANSWERS_QUEUED,
  INVOICE_PAID_CHECKS_STATUS,
  DUNNING_TAKES_EARLIER_CARD,
  INVOICE_PAID_OUTSIDE_DUNNING_MIRRORED_APART,
  REFUSED_TRIAL_MIRRORS_INVOICE,
];

/**
 * The patch after which a run has at most one local activity in flight. Local activities resolve in the
 * order they finish, but replay resolves them in the order the history has them; two in flight at once (the
 * sync chain's and the main path's) could resume their callers in another order on replay, so later
 * commands got other sequence numbers and replay failed (seen in the chaos run: a Lago sync's marker met a
 * card re-read's command).
 */
export const LOCAL_ACTIVITIES_ONE_AT_A_TIME = 'local-activities-one-at-a-time';

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
  /** Local activities take turns (see LOCAL_ACTIVITIES_ONE_AT_A_TIME); the sync chain's try once. */
  oneAtATime: boolean;
  /** The patches such a run asked at its start (ASKED_AT_START); null for a run from before. */
  askedAtStart: ReadonlyMap<string, boolean> | null;
}

/**
 * The patch after which a run asks no other patch at its start: every patch here applies to it. Each patch
 * a run asks costs a marker and an upsert of Temporal's TemporalChangeVersion search attribute (the SDK
 * writes one per patch, each a write of the run's visibility record): a sign-up's run asked fourteen. A run
 * begun before this patch asks each of them, as its history has them.
 */
export const EARLIER_PATCHES_FOLDED = 'earlier-patches-folded';

/** What a run gets from every patch above: what each patch asked in a new run answers. */
function everyPatch(): LocalSteps {
  return {
    recordCreated: true,
    startReadAnswersQueued: true,
    lago: true,
    cards: true,
    keycloak: true,
    lagoOnPlanOrStatus: true,
    oneAtATime: true,
    askedAtStart: new Map(ASKED_AT_START.map((id) => [id, true])),
  };
}

export function localSteps(): LocalSteps {
  if (patched(EARLIER_PATCHES_FOLDED)) return everyPatch();
  // In this order, always: a patch's marker is a command.
  const recordCreated = patched(RECORD_CREATED_LOCALLY);
  const startReadAnswersQueued = patched(START_READ_ANSWERS_QUEUED);
  const lago = patched(LAGO_SYNCED_LOCALLY);
  const cards = patched(PAYMENT_METHODS_SYNCED_LOCALLY);
  const oneAtATime = patched(LOCAL_ACTIVITIES_ONE_AT_A_TIME);
  return {
    recordCreated,
    startReadAnswersQueued,
    lago,
    cards,
    keycloak: lago ? patched(KEYCLOAK_SYNCED_LOCALLY) : undefined,
    lagoOnPlanOrStatus: lago ? patched(LAGO_ON_PLAN_OR_STATUS) : undefined,
    oneAtATime,
    askedAtStart: oneAtATime ? new Map(ASKED_AT_START.map((id) => [id, patched(id)])) : null,
  };
}

/**
 * Runs a local activity in the run's turn: after the one in flight, if any, has resolved. Runs from before
 * the patch call it at once, as their histories have it.
 */
export function inTurn<T>(
  run: { local: LocalSteps; localTurn: <R>(step: () => Promise<R>) => Promise<R> },
  call: () => Promise<T>,
): Promise<T> {
  return run.local.oneAtATime ? run.localTurn(call) : call();
}

/**
 * Whether a patch applies to this run: as asked at its start by a run that takes turns (a patch first asked
 * where a local activity resolved can land in another workflow task on replay), or asked here by a run from
 * before, as its history has it.
 */
export function askedPatch(run: { local: LocalSteps }, id: string): boolean {
  return run.local.askedAtStart?.get(id) ?? patched(id);
}
