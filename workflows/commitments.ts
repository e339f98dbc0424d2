import {
  ActivityFailure,
  ApplicationFailure,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  sleep,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { periodConsumptionCents, trueUpCents } from '../domain/commitments';
import { dbActivityOptions, stripeCallOptions } from './activity-options';
import { workflowIds } from './ids';
import { settleEndedCommits } from './prepaid-commits';
import { CARD_READ_AT_CHARGE, chargeOnce } from './charge-once';
import { startDetached } from './start-detached';

const db = proxyActivities<Activities>(dbActivityOptions);
const stripe = proxyActivities<Activities>(stripeCallOptions);

export interface CommitmentTrueUpInput {
  commitmentId: string;
  /** ISO instants of the period settled: its renewal invoice's period. */
  periodStart: string;
  periodEnd: string;
}

export interface CommitmentTrueUpResult {
  consumedCents: number;
  trueUpCents: number;
  stripeInvoiceId: string | null;
  /** False when the card declined (or an earlier run settled it): the invoice stays open until paid. */
  paid: boolean;
}

/**
 * Settles one period of a minimum commitment: what Stripe billed for it is read, the shortfall (if any)
 * is invoiced on its own and charged to the card on file, and the period is recorded once. Named after
 * the commitment and period and never started twice, so a period is settled once.
 */
export async function commitmentTrueUpWorkflow(
  input: CommitmentTrueUpInput,
): Promise<CommitmentTrueUpResult> {
  const terms = await db.loadTrueUpTerms({
    commitmentId: input.commitmentId,
    periodStart: input.periodStart,
  });
  if (terms.settled) return { ...terms.settled, paid: terms.settled.trueUpCents === 0 };
  if (!terms.stripeSubscriptionId || !terms.stripeCustomerId)
    throw ApplicationFailure.nonRetryable('The commitment’s subscription has no Stripe subscription');
  const start = Date.parse(input.periodStart) / 1000;
  const end = Date.parse(input.periodEnd) / 1000;
  const lines = await stripe.billedLinesSince({
    stripeSubscriptionId: terms.stripeSubscriptionId,
    periodStart: input.periodStart,
  });
  const consumedCents = periodConsumptionCents(lines, start, end);
  const owed = trueUpCents(terms.minimumCents, consumedCents);
  let stripeInvoiceId: string | null = null;
  let paid = true;
  if (owed > 0) {
    ({ stripeInvoiceId } = await stripe.invoiceTrueUp({
      commitmentId: input.commitmentId,
      stripeCustomerId: terms.stripeCustomerId,
      amountCents: owed,
      currency: terms.currency,
      periodStart: input.periodStart,
      periodEnd: input.periodEnd,
    }));
  }
  await db.recordTrueUp({
    commitmentId: input.commitmentId,
    customerId: terms.customerId,
    periodStart: input.periodStart,
    periodEnd: input.periodEnd,
    minimumCents: terms.minimumCents,
    consumedCents,
    trueUpCents: owed,
    currency: terms.currency,
    stripeInvoiceId,
  });
  // A decline, or no card Stripe can charge, leaves it open on Stripe's hosted page: settled either way.
  if (stripeInvoiceId) {
    // Runs from before the patch charged the card read with the terms, before Stripe's lines were read.
    const card = patched(CARD_READ_AT_CHARGE)
      ? await db.chargingCard({ customerId: terms.customerId })
      : terms.paymentMethodId;
    paid = await chargeOnce(stripeInvoiceId, card);
  }
  return { consumedCents, trueUpCents: owed, stripeInvoiceId, paid };
}

export interface CommitmentsLoopInput {
  /** Pause between looks (default 60 s). */
  intervalSeconds?: number;
  /** Looks per run before continue-as-new (default 60). */
  cyclesPerRun?: number;
  /** Stop after this many looks (tests). */
  maxCycles?: number;
  cycles?: number;
}

/** The workflow id of the one loop: a second start finds the running one. */
export const COMMITMENTS_WORKFLOW_ID = 'commitments';

/**
 * Every minute: starts the settlement of each period a commitment covers whose renewal invoice has come
 * (the period is over and Stripe billed its usage), once per period, and of each prepaid commit whose
 * term has ended, once per commit.
 */
export async function commitmentsWorkflow(input: CommitmentsLoopInput = {}): Promise<number> {
  const cyclesPerRun = input.cyclesPerRun ?? 60;
  let cycles = input.cycles ?? 0;
  for (let run = 0; run < cyclesPerRun; run++) {
    try {
      for (const due of await db.dueCommitmentPeriods({})) await startTrueUp(due);
      // Loops recorded before prepaid commits existed replay without this look.
      if (patched('prepaid-commits')) await settleEndedCommits();
    } catch (err) {
      // A look that fails for good is logged and the next one tries again: the loop must not end.
      if (!(err instanceof ActivityFailure)) throw err;
      log.warn('commitments look failed', { error: err.message });
    }
    cycles++;
    if (input.maxCycles !== undefined && cycles >= input.maxCycles) return cycles;
    await sleep((input.intervalSeconds ?? 60) * 1000);
  }
  return continueAsNew<typeof commitmentsWorkflow>({ ...input, cycles });
}

async function startTrueUp(due: CommitmentTrueUpInput): Promise<void> {
  await startDetached(commitmentTrueUpWorkflow, {
    workflowId: workflowIds.commitmentTrueUp(due.commitmentId, due.periodStart),
    args: [due],
    // A run that failed may be started again; one that settled the period may not.
    workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
  });
}
