import type { EntityManager } from '@mikro-orm/core';
import { recordAudit } from '../../db/audit';
import type { PrepaidCommit } from '../../db/entities';
import {
  balanceDrawnSince,
  insertPrepaidCommit,
  livePrepaidCommit,
  prepaidCommitsOf,
} from '../../db/prepaid-commits';
import { clockOf } from '../../domain/clock';
import { AppError, conflict } from '../../domain/errors';
import type { Identity } from '../../domain/identity';
import { prepaidCommitProblem, type UnusedCommit } from '../../domain/prepaid-commits';
import { workflowIds } from '../../workflows/ids';
import { customerByEmailAnyCase } from '../admin-lists/subscription-detail';
import type { CoreDeps } from '../deps';
import { ownLiveSubscription } from '../subscriptions/live-subscription';
import { runOncePerKey } from '../invoices/once-per-key';
import { liveSubscriptionOf } from './commitments';
import { workflowType } from '../temporal/workflow-type';

/** A commit with what its term has drawn so far (while active, from the mirror; once settled, Stripe's). */
export interface PrepaidCommitView {
  commit: PrepaidCommit;
  drawnCents: number;
  remainingCents: number;
}

async function viewsOf(em: EntityManager, customerId: string): Promise<PrepaidCommitView[]> {
  const commits = await prepaidCommitsOf(em, customerId);
  return Promise.all(
    commits.map(async (commit) => {
      const drawn =
        commit.status === 'settled'
          ? (commit.drawnCents ?? 0)
          : commit.status === 'active'
            ? Math.min(commit.amountCents, await balanceDrawnSince(em, commit))
            : 0;
      const remaining = commit.status === 'active' ? commit.amountCents - drawn : 0;
      return { commit, drawnCents: drawn, remainingCents: remaining };
    }),
  );
}

/** The caller's own prepaid commits, newest first (none: empty). */
export async function ownPrepaidCommits(deps: CoreDeps, identity: Identity): Promise<PrepaidCommitView[]> {
  const { customer } = await ownLiveSubscription(deps, identity);
  if (!customer) return [];
  return viewsOf(deps.orm.em.fork(), customer.id);
}

/** A customer's prepaid commits, for an admin. */
export async function customerPrepaidCommits(deps: CoreDeps, email: string): Promise<PrepaidCommitView[]> {
  const em = deps.orm.em.fork();
  const customer = await customerByEmailAnyCase(em, email);
  return viewsOf(em, customer.id);
}

/**
 * An admin sells a customer a prepaid commit for a term of billing periods (the current one first), in
 * the subscription's currency: it is charged to the card on file at once and, once paid, credited to the
 * customer's Stripe balance. One commit funding or active a subscription (409 `prepaid_commit_exists`).
 * Audited. Answers the commit as the charge left it: `active`, or `declined` with nothing credited.
 */
export async function sellPrepaidCommit(
  deps: CoreDeps,
  actor: Identity,
  email: string,
  ask: { amountCents: number; periods: number; unused: UnusedCommit },
): Promise<PrepaidCommitView> {
  const problem = prepaidCommitProblem(ask);
  if (problem) throw new AppError('invalid', 'validation_failed', problem.message, { field: problem.field });
  const em = deps.orm.em.fork();
  const customer = await customerByEmailAnyCase(em, email);
  const sub = await liveSubscriptionOf(em, customer);
  const made = await insertPrepaidCommit(
    em,
    {
      customerId: customer.id,
      subscriptionId: sub.id,
      amountCents: ask.amountCents,
      currency: sub.currency,
      periods: ask.periods,
      unused: ask.unused,
      startsAt: sub.currentPeriodStart as Date,
      createdBy: actor.email ?? actor.sub,
    },
    clockOf(deps).now(),
  );
  // A retry of a sale whose funding never finished (the API stopped, Temporal was away) finishes it.
  const commit = made ?? (await unfundedSale(em, sub.id, ask));
  if (!commit)
    throw conflict('prepaid_commit_exists', 'The subscription already has a prepaid commit in its term');
  if (made) await auditSale(em, actor, sub.id, made);
  await fund(deps, commit.id);
  const views = await viewsOf(deps.orm.em.fork(), customer.id);
  return views.find((v) => v.commit.id === commit.id) as PrepaidCommitView;
}

async function auditSale(em: EntityManager, actor: Identity, subscriptionId: string, made: PrepaidCommit) {
  recordAudit(em, {
    actor,
    action: 'prepaid_commit.sell',
    entityType: 'subscription',
    entityId: subscriptionId,
    before: null,
    after: {
      commitId: made.id,
      amountCents: made.amountCents,
      currency: made.currency,
      periods: made.periods,
      unused: made.unused,
    },
  });
  await em.flush();
}

/** The subscription's commit still being funded on the same terms as `ask`, or null. */
async function unfundedSale(
  em: EntityManager,
  subscriptionId: string,
  ask: { amountCents: number; periods: number; unused: UnusedCommit },
): Promise<PrepaidCommit | null> {
  const live = await livePrepaidCommit(em, subscriptionId);
  const same =
    live?.status === 'funding' &&
    live.amountCents === ask.amountCents &&
    live.periods === ask.periods &&
    live.unused === ask.unused;
  return same ? live : null;
}

/**
 * Runs the commit's funding once: a second call joins the run in progress or reads the result of the one
 * that finished.
 */
function fund(deps: CoreDeps, commitId: string): Promise<unknown> {
  return runOncePerKey(
    deps,
    workflowType('prepaidCommitFundingWorkflow'),
    workflowIds.prepaidCommitFunding(commitId),
    { commitId },
    () => null,
  );
}
