import { recordAudit } from '../../db/audit';
import type { PrepaidCommit } from '../../db/entities';
import { balanceDrawnSince, insertPrepaidCommit, prepaidCommitsOf } from '../../db/prepaid-commits';
import { clockOf } from '../../domain/clock';
import { AppError, conflict } from '../../domain/errors';
import type { Identity } from '../../domain/identity';
import { prepaidCommitProblem, type UnusedCommit } from '../../domain/prepaid-commits';
import { workflowIds } from '../../workflows/ids';
import { customerByEmailAnyCase } from '../admin-lists/subscription-detail';
import type { CoreDeps } from '../deps';
import { findLiveSubscription, ownLiveSubscription, requireLive } from '../subscriptions/live-subscription';
import { callWorkflow } from '../temporal/gateway';
import { workflowType } from '../temporal/workflow-type';
import type { EntityManager } from '@mikro-orm/core';

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
  const sub = requireLive(await findLiveSubscription(em, customer));
  if (!sub.currentPeriodStart)
    throw conflict('commitment_needs_period', 'The subscription has no billing period yet', {});
  const made = await insertPrepaidCommit(
    em,
    {
      customerId: customer.id,
      subscriptionId: sub.id,
      amountCents: ask.amountCents,
      currency: sub.currency,
      periods: ask.periods,
      unused: ask.unused,
      startsAt: sub.currentPeriodStart,
      createdBy: actor.email ?? actor.sub,
    },
    clockOf(deps).now(),
  );
  if (!made)
    throw conflict('prepaid_commit_exists', 'The subscription already has a prepaid commit in its term');
  recordAudit(em, {
    actor,
    action: 'prepaid_commit.sell',
    entityType: 'subscription',
    entityId: sub.id,
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
  await callWorkflow(deps, () =>
    deps.temporal.workflow.execute(workflowType('prepaidCommitFundingWorkflow'), {
      workflowId: workflowIds.prepaidCommitFunding(made.id),
      taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
      args: [{ commitId: made.id }],
    }),
  );
  const views = await viewsOf(deps.orm.em.fork(), customer.id);
  return views.find((v) => v.commit.id === made.id) as PrepaidCommitView;
}
