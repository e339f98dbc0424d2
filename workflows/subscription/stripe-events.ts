import { log, ParentClosePolicy, startChild, workflowInfo } from '@temporalio/workflow';
import { cardForCardlessTrial } from '../../domain/trial';
import { activityFailed, failureCause } from '../activity-failed';
import { applySnapshot } from './snapshots';
import { cardForNewDunning, statusAfterInvoicePaid } from '../../domain/subscription';
import { dunningWorkflow } from '../dunning';
import { workflowIds } from '../ids';
import { invoicePaid, paymentMethodAttached, type StripeEventSignal } from '../messages';
import { db, stripe, stripeRead } from './activity-proxies';
import { signalDunning } from './dunning-reports';
import { refresh } from './refresh';
import {
  inTurn,
  askedPatch,
  INVOICE_PAID_CHECKS_STATUS,
  DUNNING_TAKES_EARLIER_CARD,
  INVOICE_READ_ANSWERS_QUEUED,
  INVOICE_PAID_OUTSIDE_DUNNING_MIRRORED_APART,
  HANDLER_REREAD_ANSWERS_QUEUED,
} from './local-steps';
import type { Run } from './run';

type Handler = (run: Run, e: StripeEventSignal) => Promise<void>;

/** Not async: an extra await around the call would reorder commands on replay. */
function syncCards(run: Run, customerId: string): Promise<{ cards: number }> {
  return run.local.cards
    ? inTurn(run, () => stripeRead.syncPaymentMethods(customerId))
    : stripe.syncPaymentMethods(customerId);
}

/** Events of an invoice whose only work is to mirror it, which any read of the invoice does. */
const MIRROR_ONLY_INVOICE_EVENTS: readonly string[] = ['invoice.created', 'invoice.finalized'];

/**
 * The mirror-only events of an invoice already queued as its read starts: the read answers them, as Stripe's
 * invoice at the read holds their change. One queued during the read is not among them, so no read older
 * than an event is its final word. Synchronous, with `answered` after the read's own await, as an extra
 * await around the read would reorder commands on replay.
 */
function answeredByRead(run: Run, invoiceId: string): StripeEventSignal[] {
  if (!askedPatch(run, INVOICE_READ_ANSWERS_QUEUED)) return [];
  return run.inbox.filter((q) => MIRROR_ONLY_INVOICE_EVENTS.includes(q.type) && q.objectId === invoiceId);
}

function answered(run: Run, events: StripeEventSignal[]): void {
  for (const q of events) {
    const at = run.inbox.indexOf(q);
    if (at >= 0) run.inbox.splice(at, 1);
    run.applied.add(q.id);
  }
}

/** What each Stripe event does to the subscription; any other event re-reads the subscription. */
const handlers: Record<string, Handler> = {
  'invoice.payment_failed': async (run, e) => {
    const queued = answeredByRead(run, e.objectId);
    const inv = await stripe.fetchInvoice(e.objectId);
    answered(run, queued);
    // A late failure for an invoice that has since been paid or voided starts nothing.
    if (inv.status === 'open' && !run.state.dunningInvoices.includes(inv.stripeInvoiceId)) {
      run.state.dunningInvoices.push(inv.stripeInvoiceId);
      // Inline rather than in a helper: an extra await here would reorder commands on replay.
      await startChild(dunningWorkflow, {
        workflowId: workflowIds.dunning(inv.stripeInvoiceId),
        args: [
          {
            stripeInvoiceId: inv.stripeInvoiceId,
            subscriptionId: run.state.subscriptionId,
            subscriptionWorkflowId: workflowInfo().workflowId,
            customerId: run.state.customerId,
            email: run.state.email,
            hostedInvoiceUrl: inv.hostedInvoiceUrl,
            // The policy an admin set, read as the run starts; the run keeps it to its end.
            policy: run.input.dunningPolicy ?? (await db.currentDunningPolicy()),
          },
        ],
        // The run outlives this one across continue-as-new; it reports back by signal.
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
      const card = cardForNewDunning(run.state.lastCardAttached, e.created);
      if (card && askedPatch(run, DUNNING_TAKES_EARLIER_CARD)) {
        await signalDunning(inv.stripeInvoiceId, paymentMethodAttached, { paymentMethodId: card });
      }
    }
    await rereadAfterHandler(run);
  },
  'invoice.paid': async (run, e) => {
    const { state } = run;
    if (
      !state.dunningInvoices.includes(e.objectId) &&
      askedPatch(run, INVOICE_PAID_OUTSIDE_DUNNING_MIRRORED_APART)
    )
      return;
    const queued = answeredByRead(run, e.objectId);
    const inv = await stripe.fetchInvoice(e.objectId);
    answered(run, queued);
    // Only Stripe's own word that the invoice is paid ends its dunning: a stale, replayed or forged event
    // for an invoice still open must not restore access. (Runs recorded before this check replay without it.)
    if (
      state.dunningInvoices.includes(e.objectId) &&
      (inv.status === 'paid' || !askedPatch(run, INVOICE_PAID_CHECKS_STATUS))
    ) {
      await signalDunning(e.objectId, invoicePaid);
      state.dunningInvoices = state.dunningInvoices.filter((id) => id !== e.objectId);
      state.status = statusAfterInvoicePaid(state.status);
    }
    await rereadAfterHandler(run);
  },
  'invoice.payment_action_required': async ({ state }, e) => {
    await db.queueNotification({
      customerId: state.customerId,
      email: state.email,
      kind: 'payment_action_required',
      dedupeKey: `payment_action_required:${e.objectId}:${e.id}`,
      payload: { invoiceId: e.objectId, hostedInvoiceUrl: e.hostedInvoiceUrl ?? null },
    });
  },
  'payment_method.attached': async (run, e) => {
    const { state } = run;
    state.lastCardAttached = { paymentMethodId: e.objectId, attachedAt: e.created };
    await syncCards(run, state.customerId);
    for (const invoiceId of state.dunningInvoices)
      await signalDunning(invoiceId, paymentMethodAttached, { paymentMethodId: e.objectId });
    await keepCardOfCardlessTrial(run, e.objectId);
  },
  'payment_method.detached': async (run) => {
    await syncCards(run, run.state.customerId);
  },
  'checkout.session.completed': async (run) => {
    await syncCards(run, run.state.customerId);
    await rereadAfterHandler(run);
  },
  // A preview of the next invoice: it has no id yet and nothing to mirror.
  'invoice.upcoming': async () => undefined,
  'invoice.created': mirrorInvoice,
  'invoice.finalized': mirrorInvoice,
};

/**
 * A trial begun without a card takes the first card added as its own, so Stripe converts it at its end;
 * one Stripe paused for want of a card resumes with it. Only runs of such trials get here.
 */
async function keepCardOfCardlessTrial(run: Run, paymentMethodId: string): Promise<void> {
  const { state } = run;
  const step = cardForCardlessTrial({
    trialWithoutCard: run.input.plan.trialWithoutCard,
    status: state.status,
    awaitingCard: state.awaitingCard ?? false,
  });
  if (step === 'none' || !state.stripeSubscriptionId || !state.stripeCustomerId) return;
  try {
    const snap = await stripe.keepTrialCard({
      stripeSubscriptionId: state.stripeSubscriptionId,
      stripeCustomerId: state.stripeCustomerId,
      paymentMethodId,
      resume: step === 'keep_and_resume',
      changeKey: `${state.subscriptionId}:${paymentMethodId}`,
    });
    await applySnapshot(run, snap);
  } catch (err) {
    // The card stays on file; the customer can make it the default (or add another) themselves.
    if (!activityFailed(err)) throw err;
    log.warn('card added to a trial begun without one not taken', { error: failureCause(err) });
  }
}

async function mirrorInvoice(run: Run, e: StripeEventSignal): Promise<void> {
  const queued = answeredByRead(run, e.objectId);
  await stripe.fetchInvoice(e.objectId);
  answered(run, queued);
}

/**
 * customer.subscription.* and the rest: Stripe's current object is the truth, so one re-read answers
 * every such event already waiting in the inbox as well.
 */
async function rereadSubscription(run: Run): Promise<void> {
  answerQueuedSubscriptionEvents(run);
  await refresh(run);
}

export function answerQueuedSubscriptionEvents(run: Run): void {
  const { inbox, applied } = run;
  for (let i = inbox.length - 1; i >= 0; i--) {
    const queued = inbox[i] as StripeEventSignal;
    if (queued.type.startsWith('customer.subscription.')) {
      applied.add(queued.id);
      inbox.splice(i, 1);
    }
  }
}

function rereadAfterHandler(run: Run): Promise<void> {
  if (askedPatch(run, HANDLER_REREAD_ANSWERS_QUEUED)) answerQueuedSubscriptionEvents(run);
  return refresh(run);
}

/** Not async: the handler's own promise is the answer, so replay takes the same turns as before the split. */
export function handleStripeEvent(run: Run, e: StripeEventSignal): Promise<void> {
  if (e.stripeSubscriptionId && !run.state.stripeSubscriptionId) {
    run.state.stripeSubscriptionId = e.stripeSubscriptionId;
  }
  const handler = Object.hasOwn(handlers, e.type) ? handlers[e.type] : undefined;
  return (handler ?? rereadSubscription)(run, e);
}
