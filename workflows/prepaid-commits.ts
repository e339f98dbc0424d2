import { ApplicationFailure, log, patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { expiryStillDue, settleCommit } from '../domain/prepaid-commits';
import { dbActivityOptions, stripeCallOptions } from './activity-options';
import { workflowIds } from './ids';
import { CARD_READ_AT_CHARGE, chargeOnce } from './charge-once';
import { startDetached } from './start-detached';
import { activityFailed, failureCause } from './activity-failed';

const db = proxyActivities<Activities>(dbActivityOptions);
const stripe = proxyActivities<Activities>(stripeCallOptions);

/** The patch after which a settlement takes off only what an earlier run of it did not. */
const EXPIRY_ONCE = 'commit-expiry-once';
/** The patch after which a paid commit whose credit Stripe refuses for good is refunded and declined. */
const UNCREDITED_REFUNDED = 'commit-uncredited-refunded';

export interface PrepaidCommitFunding {
  status: 'active' | 'declined';
  stripeInvoiceId: string;
}

/**
 * Funds a prepaid commit: its invoice is charged to the card on file and, once paid, the amount becomes
 * credit on the customer's Stripe balance, which pays their next invoices. A decline voids the invoice and
 * credits nothing; a paid invoice whose credit Stripe refuses for good is refunded. Named after the commit,
 * so it is funded once.
 */
export async function prepaidCommitFundingWorkflow(input: {
  commitId: string;
}): Promise<PrepaidCommitFunding> {
  const terms = await db.loadPrepaidCommit(input);
  if (!terms.stripeCustomerId)
    throw ApplicationFailure.nonRetryable('The commit’s customer has no Stripe customer');
  const { stripeInvoiceId } = await stripe.invoicePrepaidCommit({
    commitId: input.commitId,
    stripeCustomerId: terms.stripeCustomerId,
    amountCents: terms.amountCents,
    currency: terms.currency,
    periods: terms.periods,
  });
  await db.recordCommitInvoice({ commitId: input.commitId, stripeInvoiceId });
  // Runs from before the patch charged the card read with the terms, before the invoice was made.
  const mirrored = patched(CARD_READ_AT_CHARGE)
    ? await db.chargingCard({ customerId: terms.customerId })
    : terms.paymentMethodId;
  const card = mirrored ?? (await stripe.subscriptionCard({ stripeCustomerId: terms.stripeCustomerId }));
  if (!(await chargeOnce(stripeInvoiceId, card))) {
    await stripe.voidCommitInvoice({ stripeInvoiceId });
    await db.recordCommitDeclined(input);
    return { status: 'declined', stripeInvoiceId };
  }
  let credit: { transactionId: string; at: string };
  try {
    credit = await stripe.moveCommitBalance({
      commitId: input.commitId,
      stripeCustomerId: terms.stripeCustomerId,
      amountCents: -terms.amountCents,
      currency: terms.currency,
      purpose: 'credit',
    });
  } catch (err) {
    // Retryable failures are retried for as long as Stripe is away; this one Stripe refused for good (the
    // customer deleted there, say). Runs from before the patch failed here, the commit left funding.
    if (!activityFailed(err) || !patched(UNCREDITED_REFUNDED)) throw err;
    await refundUncredited(input.commitId, stripeInvoiceId);
    return { status: 'declined', stripeInvoiceId };
  }
  await db.recordCommitFunded({
    commitId: input.commitId,
    creditTransactionId: credit.transactionId,
    fundedAt: credit.at,
  });
  return { status: 'active', stripeInvoiceId };
}

/**
 * A commit paid for and never credited: the customer has its money back, and the commit ends declined,
 * which also lifts the block on refunding its invoice (a commit's invoice is not refunded while its credit
 * may be on the balance). Should the refund fail for good too, the commit is declined all the same, so an
 * admin can refund the invoice from the console.
 */
async function refundUncredited(commitId: string, stripeInvoiceId: string): Promise<void> {
  try {
    await stripe.refundInvoiceCharge({
      invoiceId: stripeInvoiceId,
      reason: 'prepaid_commit_not_credited',
      idempotencyKey: `commit-not-credited:${commitId}`,
      actorId: 'billing-engine',
      actorEmail: null,
    });
  } catch (err) {
    if (!activityFailed(err)) throw err;
    log.warn('a prepaid commit paid for and not credited was not refunded', {
      commitId,
      error: failureCause(err),
    });
  }
  await db.recordCommitDeclined({ commitId });
}

/**
 * Settles a commit whose term has ended: what its customer's invoices drew from the balance since it was
 * credited is read from Stripe, and what is left expires (taken off the balance) or rolls over (stays on
 * it), as agreed. Named after the commit and never started twice once it succeeded.
 */
export async function prepaidCommitSettlementWorkflow(input: {
  commitId: string;
  termEndsAt: string;
}): Promise<{ drawnCents: number; expiredCents: number; rolledOverCents: number }> {
  const terms = await db.loadPrepaidCommit({ commitId: input.commitId });
  if (terms.status !== 'active' || !terms.stripeCustomerId || !terms.creditTransactionId)
    throw ApplicationFailure.nonRetryable(`The commit is ${terms.status}, not active`);
  const { balanceCents, moves } = await stripe.balanceMovesSince({
    commitId: input.commitId,
    stripeCustomerId: terms.stripeCustomerId,
    creditTransactionId: terms.creditTransactionId,
  });
  const settlement = settleCommit(terms.amountCents, moves, balanceCents, terms.unused);
  // Runs from before the patch moved the whole expiry again when an earlier run's had landed.
  const expiring = patched(EXPIRY_ONCE) ? expiryStillDue(settlement, moves) : settlement.expiredCents;
  if (expiring > 0)
    await stripe.moveCommitBalance({
      commitId: input.commitId,
      stripeCustomerId: terms.stripeCustomerId,
      amountCents: expiring,
      currency: terms.currency,
      purpose: 'expire',
    });
  await db.recordCommitSettled({
    commitId: input.commitId,
    customerId: terms.customerId,
    amountCents: terms.amountCents,
    currency: terms.currency,
    termEndsAt: input.termEndsAt,
    settlement,
  });
  return settlement;
}

/** Starts the settlement of each commit whose term has ended, once per commit. */
export async function settleEndedCommits(): Promise<void> {
  for (const due of await db.duePrepaidCommits({}))
    await startDetached(prepaidCommitSettlementWorkflow, {
      workflowId: workflowIds.prepaidCommitSettlement(due.commitId),
      args: [due],
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
    });
}
