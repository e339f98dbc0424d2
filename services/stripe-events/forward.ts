import type { EntityManager } from '@mikro-orm/core';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import type Stripe from 'stripe';
import { StripeEvent } from '../../db/entities';
import { customerIdOfStripe, subscriptionStatusOf } from '../../db/stripe-event-targets';
import {
  invoicePaymentFailureRecorded,
  markStripeEventsForwarded,
  type StripeEventMark,
} from '../../db/stripe-events';
import { isFinal } from '../../domain/subscription-status';
import { workflowIds } from '../../workflows/ids';
import { mirrorAgain, stripeEvent, type StripeEventSignal } from '../../workflows/messages';
import type { CoreDeps } from '../deps';
import { workflowType } from '../temporal/workflow-type';
import { MIRRORED_FROM_PAYLOAD, mirrorCardFromPayload, mirrorFromPayload } from './mirror-payload';
import { cardsRun, routeOf, subscriptionSignal, SUPERSEDED_BY, type MirrorRun } from './route';
import { startInputFor, targetsOf, type EventTarget, type RouteCache } from './targets';

/** A recorded event handed to its workflows, to be marked forwarded. */
export type ForwardedMark = StripeEventMark;

/**
 * Signals the workflow that owns a recorded event (starting it when Stripe made the subscription). The
 * event comes from the request that recorded it, or else from its row. Throws when Temporal cannot be
 * reached; the event stays unforwarded for the next try. Returns what to mark, or null when the row is
 * gone or already forwarded.
 */
export async function forwardStripeEvent(
  deps: CoreDeps,
  eventId: string,
  recorded?: Stripe.Event,
  routes?: RouteCache,
  /** The object's events received after this one and waiting their turn (see `routeOf`). */
  waiting: readonly Stripe.Event[] = [],
): Promise<ForwardedMark | null> {
  const em = deps.orm.em.fork();
  let event = recorded;
  if (!event) {
    const row = await em.findOne(StripeEvent, eventId);
    if (!row || row.forwardedAt || !row.payload) return null;
    event = JSON.parse(row.payload) as Stripe.Event;
  }
  const route = routeOf(event, waiting);
  if (route.kind === 'superseded') return { eventId: event.id, workflowIds: `${SUPERSEDED_BY}${route.by}` };
  if (route.kind === 'ignored') {
    deps.logger.debug(
      { type: event.type, id: event.id },
      'stripe event ignored: the engine does not act on this type',
    );
    return { eventId: event.id, workflowIds: null };
  }
  if (route.kind === 'cards') {
    const customerId = await customerIdOfStripe(em, route.stripeCustomerId);
    if (!customerId) return { eventId: event.id, workflowIds: null };
    return { eventId: event.id, workflowIds: await startMirrorRun(deps, cardsRun(event, customerId)) };
  }
  if (route.kind === 'mirror') {
    if (route.fromPayload && (await mirrorFromPayload(deps, event)))
      return { eventId: event.id, workflowIds: MIRRORED_FROM_PAYLOAD };
    return { eventId: event.id, workflowIds: await startMirrorRun(deps, route.run) };
  }
  const { owner } = route;
  const routed: string[] = [];
  // A paid invoice that never failed cannot be in dunning: its workflow has nothing to do with the event.
  const concerns =
    route.signalIfFailedBefore === null ||
    (await invoicePaymentFailureRecorded(em, route.signalIfFailedBefore));
  for (const t of concerns ? await targetsOf(em, event, owner, routes) : []) {
    const signal = subscriptionSignal(event, t.stripeSubscriptionId);
    if (await signalOwner(deps, em, t, signal, owner.stripeCustomerId, event)) routed.push(t.subscriptionId);
  }
  const taken = routed.length > 0;
  if (!taken && route.cardsOf) {
    // No live subscription to bring the card in (its run re-reads the cards): the intake writes a first
    // card from the payload (at a sign-up, before Stripe's subscription has its run), a run does the rest.
    const customerId = await customerIdOfStripe(em, route.cardsOf);
    if (customerId && route.cardFromPayload && (await mirrorCardFromPayload(deps, event, customerId)))
      routed.push(MIRRORED_FROM_PAYLOAD);
    else if (customerId) routed.push(await startMirrorRun(deps, cardsRun(event, customerId)));
  }
  // Its subscription has ended (a refused trial's $1.00, paid then refunded): the invoice is still mirrored.
  if (route.invoiceOf && (!taken || route.always)) {
    const mirrored = route.invoiceFromPayload && (await mirrorFromPayload(deps, event));
    routed.push(mirrored ? MIRRORED_FROM_PAYLOAD : await startMirrorRun(deps, route.invoiceOf));
  }
  if (routed.length === 0) deps.logger.info({ type: event.type, id: event.id }, 'stripe event not routed');
  return { eventId: event.id, workflowIds: routed.length ? routed.join(',') : null };
}

/** Marks forwarded events in one transaction (one commit for a burst) and drops their payloads. */
export async function markForwarded(orm: CoreDeps['orm'], marks: ForwardedMark[], now: Date): Promise<void> {
  if (marks.length === 0) return;
  await markStripeEventsForwarded(orm.em.fork(), marks, now);
}

/**
 * Starts a mirror run; a run per event already started is left to finish, and a run per object in progress
 * is told to read again. Returns its workflow id.
 */
async function startMirrorRun(deps: CoreDeps, run: MirrorRun): Promise<string> {
  if (run.perObject) {
    await deps.temporal.workflow.signalWithStart(workflowType(run.workflow), {
      workflowId: run.workflowId,
      taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
      args: [run.objectId],
      signal: mirrorAgain,
      signalArgs: [],
    });
    return run.workflowId;
  }
  try {
    await deps.temporal.workflow.start(workflowType(run.workflow), {
      workflowId: run.workflowId,
      taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
      args: [run.objectId],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  return run.workflowId;
}

/**
 * Signals the subscription's workflow. Most events find it running, and a plain signal is the cheap path;
 * only when there is none does it look up what is needed to start one (signal-with-start). A late event
 * for a subscription that has ended starts nothing. Says whether a workflow got the event.
 */
async function signalOwner(
  deps: CoreDeps,
  em: EntityManager,
  t: EventTarget,
  signal: StripeEventSignal,
  stripeCustomerId: string | null,
  event: Stripe.Event,
): Promise<boolean> {
  const workflowId = workflowIds.subscription(t.subscriptionId);
  const signalled = async () => {
    try {
      await deps.temporal.workflow.getHandle(workflowId).signal(stripeEvent, signal);
      return true;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      return false;
    }
  };
  // A subscription Stripe made has no run before its first event: a plain signal would only be refused
  // (a round trip through Temporal's frontend and history for nothing), so its start comes first.
  const startsIt = t.madeInStripe === true && event.type === 'customer.subscription.created';
  if (!startsIt && (await signalled())) return true;
  const status = await subscriptionStatusOf(em, t.subscriptionId);
  if (status && isFinal(status)) return false;
  const start = t.stripeSubscriptionId
    ? await startInputFor(
        em,
        t.subscriptionId,
        t.stripeSubscriptionId,
        stripeCustomerId,
        event,
        status !== null,
      )
    : null;
  // Not enough to start one: a run an earlier event started may still take it.
  if (!start && startsIt && (await signalled())) return true;
  if (!start) {
    deps.logger.warn(
      { eventId: event.id, workflowId },
      'no workflow and not enough to start one; event recorded only',
    );
    return false;
  }
  await deps.temporal.workflow.signalWithStart(workflowType('subscriptionWorkflow'), {
    workflowId,
    taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
    args: [start],
    signal: stripeEvent,
    signalArgs: [signal],
  });
  return true;
}
