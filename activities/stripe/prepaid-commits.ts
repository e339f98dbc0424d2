import { PREPAID_COMMIT_METADATA_KEY, type BalanceMove } from '../../domain/prepaid-commits';
import type { ActivityDeps } from '../deps';
import { pinnedCard } from './card-defaults';
import { stripeCall } from './errors';
import { idempotencyKey } from './idempotency';
import { oneLineInvoice } from './one-line-invoice';
import { requireStripe } from './require-stripe';

/**
 * A prepaid commit's Stripe steps: its invoice, the credit on the customer's balance once paid, the
 * balance's moves since then, and the expiry of what is left. Every write carries an idempotency key of
 * the commit, so a retried step makes nothing twice.
 */
export function createStripePrepaidCommitActivities(deps: ActivityDeps) {
  /** The commit's invoice, finalized, with one line for the term; charged by the workflow. */
  async function invoicePrepaidCommit(req: {
    commitId: string;
    stripeCustomerId: string;
    amountCents: number;
    currency: string;
    periods: number;
  }): Promise<{ stripeInvoiceId: string }> {
    return oneLineInvoice(requireStripe(deps), {
      key: `prepaid-commit:${req.commitId}`,
      stripeCustomerId: req.stripeCustomerId,
      currency: req.currency,
      amountCents: req.amountCents,
      description: 'Prepaid commit',
      lineDescription: `Prepaid commit for ${req.periods} billing period${req.periods === 1 ? '' : 's'}`,
      metadata: { [PREPAID_COMMIT_METADATA_KEY]: req.commitId },
    });
  }

  /**
   * The card the customer's live subscription is charged with, as Stripe has it: for a customer whose card
   * the mirror does not show yet (just after Checkout).
   */
  async function subscriptionCard(req: { stripeCustomerId: string }): Promise<string | null> {
    return pinnedCard(requireStripe(deps), req.stripeCustomerId);
  }

  /** A declined commit's invoice is voided: nobody can pay for a commit that was never credited. */
  async function voidCommitInvoice(req: { stripeInvoiceId: string }): Promise<void> {
    const stripe = requireStripe(deps);
    const inv = await stripeCall(() => stripe.invoices.retrieve(req.stripeInvoiceId));
    if (inv.status === 'open')
      await stripeCall(() =>
        stripe.invoices.voidInvoice(
          req.stripeInvoiceId,
          {},
          { idempotencyKey: idempotencyKey(`void:${req.stripeInvoiceId}`) },
        ),
      );
  }

  /** Moves the customer's balance by the commit (negative: a credit, positive: a debit). */
  async function moveCommitBalance(req: {
    commitId: string;
    stripeCustomerId: string;
    amountCents: number;
    currency: string;
    purpose: 'credit' | 'expire';
  }): Promise<{ transactionId: string; at: string }> {
    const stripe = requireStripe(deps);
    const txn = await stripeCall(() =>
      stripe.customers.createBalanceTransaction(
        req.stripeCustomerId,
        {
          amount: req.amountCents,
          currency: req.currency,
          description: req.purpose === 'credit' ? 'Prepaid commit' : 'Prepaid commit expired',
          metadata: { [PREPAID_COMMIT_METADATA_KEY]: req.commitId },
        },
        { idempotencyKey: idempotencyKey(`prepaid-commit:${req.commitId}:${req.purpose}`) },
      ),
    );
    return { transactionId: txn.id, at: new Date(txn.created * 1000).toISOString() };
  }

  /** The customer's balance now and every move of it after the commit's credit, newest first. */
  async function balanceMovesSince(req: {
    commitId: string;
    stripeCustomerId: string;
    creditTransactionId: string;
  }): Promise<{ balanceCents: number; moves: BalanceMove[] }> {
    const stripe = requireStripe(deps);
    const moves: BalanceMove[] = [];
    let reached = false;
    await stripeCall(() =>
      stripe.customers.listBalanceTransactions(req.stripeCustomerId, { limit: 100 }).autoPagingEach((t) => {
        if (t.id === req.creditTransactionId) {
          reached = true;
          return false;
        }
        const ours = t.metadata?.[PREPAID_COMMIT_METADATA_KEY] === req.commitId;
        moves.push({ amountCents: t.amount, type: ours && t.amount > 0 ? 'commit_expiry' : t.type });
        return undefined;
      }),
    );
    if (!reached)
      throw new Error(`The commit's credit ${req.creditTransactionId} is not on the customer's balance`);
    const customer = await stripeCall(() => stripe.customers.retrieve(req.stripeCustomerId));
    return { balanceCents: 'deleted' in customer && customer.deleted ? 0 : customer.balance, moves };
  }

  return { invoicePrepaidCommit, subscriptionCard, voidCommitInvoice, moveCommitBalance, balanceMovesSince };
}
