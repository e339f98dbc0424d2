import {
  ApplicationFailure,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  metricMeter,
  proxyActivities,
  setHandler,
  setCurrentDetails,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { DunningPolicy } from '../domain/dunning-policy';
import { dbActivityOptions, stripeCallOptions } from './activity-options';
import {
  dunningReport,
  dunningStatus,
  invoicePaid,
  paymentMethodAttached,
  type DunningReport,
} from './messages';
import { FAILURE } from '../domain/failure-types';

const DAY_MS = 24 * 60 * 60 * 1000;

const { payInvoice } = proxyActivities<Activities>(stripeCallOptions);
const { queueNotification } = proxyActivities<Activities>(dbActivityOptions);

export interface DunningInput {
  stripeInvoiceId: string;
  subscriptionId: string;
  subscriptionWorkflowId: string;
  customerId: string;
  email: string;
  hostedInvoiceUrl: string | null;
  policy: DunningPolicy;
}

/** The metric's name for a report: suspended, recovered, canceled or unpaid (exhausted), stopped. */
function runOutcome(outcome: DunningReport['outcome'], finalAction: DunningPolicy['finalAction']): string {
  if (outcome === 'suspend') return 'suspended';
  if (outcome === 'exhausted') return finalAction === 'cancel' ? 'canceled' : 'unpaid';
  return outcome;
}

/** Chases one failed invoice (id `dunning-<invoiceId>`): notify, retry on the policy's days, suspend, give up. */
export async function dunningWorkflow(input: DunningInput): Promise<DunningReport['outcome']> {
  const parent = getExternalWorkflowHandle(input.subscriptionWorkflowId);
  // Recorded live only, never on replay: what operators graph and alert on (runs started, and how each ends).
  const runs = metricMeter.createCounter('billing_dunning_runs', undefined, 'Dunning runs by stage reached.');
  runs.add(1, { outcome: 'started' });
  const report = async (outcome: DunningReport['outcome']) => {
    runs.add(1, { outcome: runOutcome(outcome, input.policy.finalAction) });
    try {
      await parent.signal(dunningReport, {
        stripeInvoiceId: input.stripeInvoiceId,
        outcome,
        finalAction: input.policy.finalAction,
      });
    } catch {
      // The subscription has already ended (canceled meanwhile): nobody is left to tell.
    }
  };
  let paid = false;
  let newCard = false;
  // The newest card added: its retry pays with it, not with whatever the default still is.
  let newCardId: string | undefined;
  setHandler(invoicePaid, () => void (paid = true));
  setHandler(paymentMethodAttached, (card) => {
    newCard = true;
    newCardId = card?.paymentMethodId ?? newCardId;
  });

  const started = Date.now();
  let attempt = 1;
  let retriesMade = 0;
  let suspended = false;
  const dueOf = (i: number) => started + (input.policy.retryDays[i] as number) * DAY_MS;
  setHandler(dunningStatus, () => ({
    stripeInvoiceId: input.stripeInvoiceId,
    email: input.email,
    startedAt: new Date(started).toISOString(),
    attempt,
    attempts: input.policy.retryDays.length,
    nextAttemptAt:
      attempt <= input.policy.retryDays.length ? new Date(dueOf(attempt - 1)).toISOString() : null,
    suspendAt: new Date(started + input.policy.suspendAfterDays * DAY_MS).toISOString(),
    suspended,
    retriesMade,
  }));
  const notify = (kind: string, attempt: number, extra: Record<string, unknown> = {}) =>
    queueNotification({
      customerId: input.customerId,
      email: input.email,
      kind,
      dedupeKey: `${kind}:${input.stripeInvoiceId}:${attempt}:${workflowInfo().firstExecutionRunId}`,
      payload: {
        invoiceId: input.stripeInvoiceId,
        hostedInvoiceUrl: input.hostedInvoiceUrl,
        attempt,
        ...extra,
      },
    });

  try {
    await notify('payment_failed', 0);
    for (let i = 0; i < input.policy.retryDays.length; i++) {
      attempt = i + 1;
      const dueAt = dueOf(i);
      const suspendAt = started + input.policy.suspendAfterDays * DAY_MS;
      setCurrentDetails(
        `Invoice **${input.stripeInvoiceId}**: attempt ${attempt} of ${input.policy.retryDays.length} due ` +
          `${new Date(dueAt).toISOString()}${suspended ? '; access suspended' : ''}`,
      );
      // Wake for the suspension deadline, the retry day, a payment, or a new card (which retries at once).
      while (!paid && !newCard && Date.now() < dueAt) {
        const wakeAt = !suspended && suspendAt < dueAt && suspendAt > Date.now() ? suspendAt : dueAt;
        await condition(() => paid || newCard, wakeAt - Date.now());
        if (!suspended && Date.now() >= suspendAt && !paid) {
          suspended = true;
          await report('suspend');
        }
      }
      if (paid) break;
      const card = newCard ? newCardId : undefined;
      newCard = false;
      if (!suspended && Date.now() >= suspendAt) {
        suspended = true;
        await report('suspend');
      }
      await notify('payment_retry', attempt, { hostedInvoiceUrl: input.hostedInvoiceUrl });
      retriesMade = attempt;
      try {
        const inv = await payInvoice({
          stripeInvoiceId: input.stripeInvoiceId,
          attempt,
          ...(card ? { paymentMethodId: card } : {}),
        });
        if (inv.status === 'paid' || inv.status === 'void') paid = true;
      } catch (err) {
        if (!isDecline(err)) throw err;
      }
      if (paid) break;
    }
    const outcome = paid ? 'recovered' : 'exhausted';
    setCurrentDetails(`Invoice **${input.stripeInvoiceId}**: ${outcome}`);
    await report(outcome);
    return outcome;
  } catch (err) {
    if (isCancellation(err)) {
      // An operator ended the run: tell the subscription, even though this scope is cancelled.
      await CancellationScope.nonCancellable(() => report('stopped'));
    }
    throw err;
  }
}

function isDecline(err: unknown): boolean {
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof ApplicationFailure && cause.type === FAILURE.cardDeclined;
}
