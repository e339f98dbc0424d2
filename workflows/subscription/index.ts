import {
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { deadlineKey } from '../../domain/subscription';
import { isFinal } from '../../domain/subscription-status';
import { dunningReport, stripeEvent, subscriptionState, type SubscriptionView } from '../messages';
import { db, dbLocal } from './activity-proxies';
import { handleDunningReport } from './dunning-reports';
import { refresh } from './refresh';
import { inTurn } from './local-steps';
import { startRun, type Run, type SubscriptionInput } from './run';
import { answerQueuedSubscriptionEvents, handleStripeEvent } from './stripe-events';
import { nextTimer } from './timers';
import { acceptRequests } from './updates';
import { publish } from './visibility';
import { activityFailed, failureCause } from '../activity-failed';

export type { SubscriptionInput } from './run';

/** Continue-as-new well before Temporal's history limits; the ids of applied events travel along. */
const HISTORY_EVENTS_BEFORE_CONTINUE = 2_000;
const REMEMBERED_EVENT_IDS = 500;

/**
 * Owns one subscription's life (id `subscription-<id>`): checkout, trial, plan changes, dunning, cancel.
 * It waits for the next Stripe event, dunning report or deadline, applies it, and continues as new
 * before its history grows long.
 */
export async function subscriptionWorkflow(input: SubscriptionInput): Promise<SubscriptionView> {
  const run = startRun(input);
  const { state, inbox, reports, applied, exclusive } = run;

  setHandler(subscriptionState, () => state);
  setHandler(stripeEvent, (e) => {
    if (!applied.has(e.id) && !inbox.some((x) => x.id === e.id)) inbox.push(e);
  });
  setHandler(dunningReport, (r) => void reports.push(r));
  acceptRequests(run);

  if (!input.carried) {
    const created = {
      subscriptionId: state.subscriptionId,
      customerId: state.customerId,
      planId: input.plan.planId,
      interval: input.plan.interval,
      amountCents: input.plan.amountCents,
      ...(input.plan.currency ? { currency: input.plan.currency } : {}),
      ...(input.plan.billingAnchor ? { billingAnchor: input.plan.billingAnchor } : {}),
    };
    await (run.local.recordCreated
      ? inTurn(run, () => dbLocal.createSubscriptionRecord(created))
      : db.createSubscriptionRecord(created));
    if (state.stripeSubscriptionId) {
      // A run the intake started for a subscription made in Stripe holds the event that started it: the
      // first read is newer than it, so answers it (and any other customer.subscription.* already queued).
      if (run.local.startReadAnswersQueued) answerQueuedSubscriptionEvents(run);
      await exclusive(() => refresh(run));
    } else await publish(state);
  }

  while (!isFinal(state.status)) {
    const timer = nextTimer(run);
    const key = deadlineKey(state);
    const ready = () => inbox.length > 0 || reports.length > 0 || deadlineKey(state) !== key;
    if (timer) {
      const woke = await condition(ready, Math.max(1, timer.at - Date.now()));
      if (!woke) {
        await exclusive(timer.fire);
        continue;
      }
    } else {
      await condition(ready);
    }
    const e = inbox.shift();
    if (e) {
      // Taken now, not once handled: a redelivery arriving while this one waits on Stripe is a duplicate.
      applied.add(e.id);
      try {
        await exclusive(() => handleStripeEvent(run, e));
      } catch (err) {
        // One event Stripe will not explain (a deleted invoice, say) must not end the subscription's run.
        if (!activityFailed(err)) throw err;
        log.warn('stripe event could not be applied', {
          eventId: e.id,
          type: e.type,
          error: failureCause(err),
        });
      }
      applied.add(e.id);
    }
    const r = reports.shift();
    if (r) await exclusive(() => handleDunningReport(run, r));

    if (historyIsLong(input) && inbox.length === 0 && reports.length === 0) {
      await finishTurns(run);
      await continueAsNew<typeof subscriptionWorkflow>({
        ...input,
        carried: { state, appliedEventIds: [...applied].slice(-REMEMBERED_EVENT_IDS) },
      });
    }
  }
  await finishTurns(run);
  return state;
}

function historyIsLong(input: SubscriptionInput): boolean {
  return workflowInfo().historyLength > (input.historyLimit ?? HISTORY_EVENTS_BEFORE_CONTINUE);
}

/** Before the run ends or continues as new: every Update answered, Keycloak and Lago in step. */
async function finishTurns(run: Run): Promise<void> {
  await condition(allHandlersFinished);
  await run.syncChain;
}
