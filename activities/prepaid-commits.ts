import { recordBillingEvent } from '../db/billing-events';
import { dueCommitSettlements, prepaidCommitContext, updatePrepaidCommit } from '../db/prepaid-commits';
import { sqlFor } from '../db/raw-sql';
import { clockOf } from '../domain/clock';
import type { CommitSettlement, UnusedCommit } from '../domain/prepaid-commits';
import type { ActivityDeps } from './deps';

/** What funding or settling a commit needs to know, read once. */
export interface PrepaidCommitTerms {
  customerId: string;
  status: 'funding' | 'active' | 'declined' | 'settled';
  amountCents: number;
  currency: string;
  periods: number;
  unused: UnusedCommit;
  stripeCustomerId: string | null;
  stripeInvoiceId: string | null;
  creditTransactionId: string | null;
  /** The card to charge, as the mirror knows it; null: Stripe's own default. */
  paymentMethodId: string | null;
}

/** Prepaid commits' database steps: their terms, what is due, and each record. */
export function createPrepaidCommitActivities(deps: ActivityDeps) {
  async function loadPrepaidCommit(req: { commitId: string }): Promise<PrepaidCommitTerms> {
    const { commit, stripeCustomerId, card } = await prepaidCommitContext(deps.orm.em.fork(), req.commitId);
    return {
      customerId: commit.customerId,
      status: commit.status,
      amountCents: commit.amountCents,
      currency: commit.currency,
      periods: commit.periods,
      unused: commit.unused,
      stripeCustomerId,
      stripeInvoiceId: commit.stripeInvoiceId ?? null,
      creditTransactionId: commit.creditTransactionId ?? null,
      paymentMethodId: card,
    };
  }

  /** Active commits whose term has ended (its last period's renewal invoice mirrored). */
  async function duePrepaidCommits(_: Record<string, never>) {
    return dueCommitSettlements(deps.orm.em.fork());
  }

  async function recordCommitInvoice(req: { commitId: string; stripeInvoiceId: string }): Promise<void> {
    await updatePrepaidCommit(deps.orm.em.fork(), req.commitId, { stripeInvoiceId: req.stripeInvoiceId });
  }

  async function recordCommitFunded(req: {
    commitId: string;
    creditTransactionId: string;
    fundedAt: string;
  }): Promise<void> {
    await updatePrepaidCommit(deps.orm.em.fork(), req.commitId, {
      funded: { creditTransactionId: req.creditTransactionId, at: new Date(req.fundedAt) },
    });
  }

  async function recordCommitDeclined(req: { commitId: string }): Promise<void> {
    await updatePrepaidCommit(deps.orm.em.fork(), req.commitId, { declined: true });
  }

  /** The term's end once, and the outgoing webhook `prepaid_commit.settled` once whatever retries. */
  async function recordCommitSettled(req: {
    commitId: string;
    customerId: string;
    amountCents: number;
    currency: string;
    termEndsAt: string;
    settlement: CommitSettlement;
  }): Promise<void> {
    const em = deps.orm.em.fork();
    const now = clockOf(deps).now();
    await updatePrepaidCommit(em, req.commitId, {
      settled: { ...req.settlement, termEndsAt: new Date(req.termEndsAt), at: now },
    });
    await recordBillingEvent(sqlFor(em), {
      customerId: req.customerId,
      type: 'prepaid_commit.settled',
      payload: {
        commit_id: req.commitId,
        amount_cents: req.amountCents,
        currency: req.currency,
        term_ends_at: req.termEndsAt,
        drawn_cents: req.settlement.drawnCents,
        expired_cents: req.settlement.expiredCents,
        rolled_over_cents: req.settlement.rolledOverCents,
      },
      dedupeKey: `prepaid_commit.settled:${req.commitId}`,
      at: now,
    });
  }

  return {
    loadPrepaidCommit,
    duePrepaidCommits,
    recordCommitInvoice,
    recordCommitFunded,
    recordCommitDeclined,
    recordCommitSettled,
  };
}
