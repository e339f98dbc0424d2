import type { EntityManager } from '@mikro-orm/core';
import { recordAudit } from '../../db/audit';
import {
  commitmentsOf,
  commitmentsOfSubscription,
  endCommitment,
  insertCommitment,
  liveCommitment,
} from '../../db/commitments';
import type { Commitment, CommitmentPeriod, Customer } from '../../db/entities';
import { clockOf } from '../../domain/clock';
import { commitmentOwingFrom, minimumProblem } from '../../domain/commitments';
import { AppError, conflict, notFound } from '../../domain/errors';
import type { Identity } from '../../domain/identity';
import { customerByEmailAnyCase } from '../admin-lists/subscription-detail';
import type { CoreDeps } from '../deps';
import { findLiveSubscription, ownLiveSubscription, requireLive } from '../subscriptions/live-subscription';

/** A customer's commitments: the live one (if any), those ended, and every period settled. */
export interface CommitmentsView {
  current: Commitment | null;
  ended: Commitment[];
  periods: CommitmentPeriod[];
}

async function viewOf(em: EntityManager, customerId: string): Promise<CommitmentsView> {
  const { commitments, periods } = await commitmentsOf(em, customerId);
  return {
    current: commitments.find((c) => c.liveFor) ?? null,
    ended: commitments.filter((c) => !c.liveFor),
    periods,
  };
}

/** The caller's own commitments (none: empty). */
export async function ownCommitments(deps: CoreDeps, identity: Identity): Promise<CommitmentsView> {
  const { customer } = await ownLiveSubscription(deps, identity);
  if (!customer) return { current: null, ended: [], periods: [] };
  return viewOf(deps.orm.em.fork(), customer.id);
}

/** A customer's commitments, for an admin. */
export async function customerCommitments(deps: CoreDeps, email: string): Promise<CommitmentsView> {
  const em = deps.orm.em.fork();
  const customer = await customerByEmailAnyCase(em, email);
  return viewOf(em, customer.id);
}

/** The customer's live subscription, once it has a billing period (409 `commitment_needs_period` before). */
export async function liveSubscriptionOf(em: EntityManager, customer: Customer) {
  const sub = requireLive(await findLiveSubscription(em, customer));
  if (!sub.currentPeriodEnd || !sub.currentPeriodStart)
    throw conflict('commitment_needs_period', 'The subscription has no billing period yet', {});
  return sub;
}

/**
 * An admin gives a customer a minimum per billing period, from the subscription's next period or, when
 * asked, the current one (whole: a minimum is never prorated), in the subscription's currency; one live commitment a subscription (409
 * `commitment_exists`). Audited.
 */
export async function setCommitment(
  deps: CoreDeps,
  actor: Identity,
  email: string,
  ask: { minimumCents: number; fromCurrentPeriod?: boolean },
): Promise<CommitmentsView> {
  const problem = minimumProblem(ask.minimumCents);
  if (problem) throw new AppError('invalid', 'validation_failed', problem, { field: 'minimumCents' });
  const em = deps.orm.em.fork();
  const customer = await customerByEmailAnyCase(em, email);
  const sub = await liveSubscriptionOf(em, customer);
  const startsAt = (ask.fromCurrentPeriod ? sub.currentPeriodStart : sub.currentPeriodEnd) as Date;
  // One ended at the end of this period still owes it: a second minimum from its start would bill it twice.
  const owing = commitmentOwingFrom(await commitmentsOfSubscription(em, sub.id), startsAt);
  if (owing?.endedAt)
    throw conflict(
      'commitment_exists',
      `The commitment ${owing.id} covers the periods until ${owing.endedAt.toISOString()}: start the new one from the next period`,
      { field: 'fromCurrentPeriod' },
    );
  const made = await insertCommitment(
    em,
    {
      customerId: customer.id,
      subscriptionId: sub.id,
      minimumCents: ask.minimumCents,
      currency: sub.currency,
      startsAt,
      createdBy: actor.email ?? actor.sub,
    },
    clockOf(deps).now(),
  );
  if (!made) throw conflict('commitment_exists', 'The subscription already has a commitment: end it first');
  recordAudit(em, {
    actor,
    action: 'commitment.set',
    entityType: 'subscription',
    entityId: sub.id,
    before: null,
    after: {
      commitmentId: made.id,
      minimumCents: made.minimumCents,
      currency: made.currency,
      startsAt: made.startsAt,
    },
  });
  await em.flush();
  return viewOf(em, customer.id);
}

/**
 * Ends the live commitment at the end of the current period: that period still owes its minimum, later
 * ones nothing (one not started yet covers nothing). Audited.
 */
export async function endCommitmentAsAdmin(
  deps: CoreDeps,
  actor: Identity,
  email: string,
): Promise<CommitmentsView> {
  const em = deps.orm.em.fork();
  const customer = await customerByEmailAnyCase(em, email);
  const sub = await liveSubscriptionOf(em, customer);
  const live = await liveCommitment(em, sub.id);
  if (!live) throw notFound('commitment');
  const periodEnd = sub.currentPeriodEnd as Date;
  const at = periodEnd.getTime() > live.startsAt.getTime() ? periodEnd : live.startsAt;
  await endCommitment(em, live, at);
  recordAudit(em, {
    actor,
    action: 'commitment.end',
    entityType: 'subscription',
    entityId: sub.id,
    before: { commitmentId: live.id, endedAt: null },
    after: { commitmentId: live.id, endedAt: at },
  });
  await em.flush();
  return viewOf(em, customer.id);
}
