import type { EntityManager } from '@mikro-orm/core';
import { Commitment, CommitmentPeriod, Customer, Invoice, Subscription } from './entities';
import { cardToCharge } from './payment-method-reads';
import { flushUnlessTaken } from './flush-unless-taken';
import { newId } from './ids';

/** A customer's commitments, newest first, with the periods each was settled for (oldest first). */
export async function commitmentsOf(em: EntityManager, customerId: string) {
  const [commitments, periods] = await Promise.all([
    em.find(Commitment, { customerId }, { orderBy: { createdAt: 'desc', id: 'desc' } }),
    em.find(CommitmentPeriod, { customerId }, { orderBy: { periodStart: 'asc', id: 'asc' } }),
  ]);
  return { commitments, periods };
}

/** Every commitment of the subscription, ended ones included. */
export function commitmentsOfSubscription(em: EntityManager, subscriptionId: string): Promise<Commitment[]> {
  return em.find(Commitment, { subscriptionId });
}

/** The subscription's live commitment, or null. */
export function liveCommitment(em: EntityManager, subscriptionId: string): Promise<Commitment | null> {
  return em.findOne(Commitment, { liveFor: subscriptionId });
}

/**
 * Writes a new live commitment; null when the subscription already has one (its unique `liveFor` refused
 * the second of two made at once).
 */
export async function insertCommitment(
  em: EntityManager,
  c: Omit<Commitment, 'id' | 'createdAt' | 'liveFor' | 'endedAt'>,
  now: Date,
): Promise<Commitment | null> {
  const row = em.create(Commitment, {
    ...c,
    id: newId('cmt'),
    liveFor: c.subscriptionId,
    endedAt: null,
    createdAt: now,
  });
  return (await flushUnlessTaken(em)) ? row : null;
}

/** Ends a live commitment at `at`: periods that start then or later owe nothing. */
export async function endCommitment(em: EntityManager, c: Commitment, at: Date): Promise<Commitment> {
  c.endedAt = at;
  c.liveFor = null;
  await em.flush();
  return c;
}

/** A period a commitment covers whose renewal invoice the mirror has and which is not settled yet. */
export interface DueTrueUp {
  commitmentId: string;
  periodStart: string;
  periodEnd: string;
}

/**
 * The periods due a true-up: for each commitment, every renewal invoice of its subscription (Stripe's
 * `subscription_cycle`, whose period is the one that ended) of a period it covers, not yet settled.
 * Commitments ended more than a year ago are not looked at again.
 */
export async function dueTrueUps(em: EntityManager, now: Date, limit = 100): Promise<DueTrueUp[]> {
  const since = new Date(now.getTime() - 366 * 86_400_000);
  const commitments = await em.find(Commitment, { $or: [{ endedAt: null }, { endedAt: { $gte: since } }] });
  if (commitments.length === 0) return [];
  const subscriptionIds = [...new Set(commitments.map((c) => c.subscriptionId))];
  const [renewals, settled] = await Promise.all([
    em.find(
      Invoice,
      {
        subscription: { $in: subscriptionIds },
        billingReason: 'subscription_cycle',
        status: { $ne: 'draft' },
        // Only periods some commitment may cover, not every renewal of a long-lived subscription.
        periodStart: { $gte: new Date(Math.min(...commitments.map((c) => c.startsAt.getTime()))) },
      },
      { fields: ['subscription', 'periodStart', 'periodEnd'], orderBy: { periodStart: 'asc' } },
    ),
    em.find(
      CommitmentPeriod,
      { commitmentId: { $in: commitments.map((c) => c.id) } },
      { fields: ['commitmentId', 'periodStart'] },
    ),
  ]);
  const done = new Set(settled.map((p) => `${p.commitmentId}:${p.periodStart.getTime()}`));
  const due: DueTrueUp[] = [];
  for (const c of commitments) {
    for (const inv of renewals) {
      if (inv.subscription?.id !== c.subscriptionId || !inv.periodStart || !inv.periodEnd) continue;
      const start = inv.periodStart.getTime();
      if (start < c.startsAt.getTime() || (c.endedAt && start >= c.endedAt.getTime())) continue;
      if (inv.periodEnd.getTime() <= start || done.has(`${c.id}:${start}`)) continue;
      due.push({
        commitmentId: c.id,
        periodStart: inv.periodStart.toISOString(),
        periodEnd: inv.periodEnd.toISOString(),
      });
      if (due.length >= limit) return due;
    }
  }
  return due;
}

/** What settling one period needs: the commitment's terms and the Stripe ids of its customer and subscription. */
export async function trueUpContext(em: EntityManager, commitmentId: string, periodStart: Date) {
  const c = await em.findOneOrFail(Commitment, commitmentId);
  const [settled, sub, customer, card] = await Promise.all([
    em.findOne(CommitmentPeriod, { commitmentId, periodStart }),
    em.findOneOrFail(Subscription, c.subscriptionId, { fields: ['stripeSubscriptionId'] }),
    em.findOneOrFail(Customer, c.customerId, { fields: ['stripeCustomerId'] }),
    cardToCharge(em, c.customerId),
  ]);
  return { commitment: c, settled, sub, customer, card };
}

/** Writes a settled period once: a second write of the same commitment and period keeps the first. */
export async function recordCommitmentPeriod(
  em: EntityManager,
  p: Omit<CommitmentPeriod, 'id' | 'createdAt'>,
  now: Date,
): Promise<CommitmentPeriod> {
  em.create(CommitmentPeriod, { ...p, id: newId('cmp'), createdAt: now });
  await flushUnlessTaken(em);
  return em.findOneOrFail(CommitmentPeriod, { commitmentId: p.commitmentId, periodStart: p.periodStart });
}

/**
 * Commitments for revenue, in one currency: the live ones with their subscription's interval, and the
 * periods that ended within [start, end) with their customer's email.
 */
export async function commitmentBook(em: EntityManager, currency: string, start: Date, end: Date) {
  const [live, periods] = await Promise.all([
    em.find(Commitment, { liveFor: { $ne: null }, currency }),
    em.find(
      CommitmentPeriod,
      { currency, periodEnd: { $gte: start, $lt: end } },
      { orderBy: { periodEnd: 'asc', id: 'asc' } },
    ),
  ]);
  const subs = await em.find(
    Subscription,
    { id: { $in: live.map((c) => c.subscriptionId) } },
    { fields: ['interval'] },
  );
  const customers = await em.find(
    Customer,
    { id: { $in: [...new Set(periods.map((p) => p.customerId))] } },
    { fields: ['email'] },
  );
  const interval = new Map(subs.map((s) => [s.id, s.interval]));
  const email = new Map(customers.map((c) => [c.id, c.email]));
  return {
    live: live.map((c) => ({
      minimumCents: c.minimumCents,
      interval: interval.get(c.subscriptionId) === 'year' ? ('year' as const) : ('month' as const),
    })),
    periods: periods.map((p) => ({ ...p, email: email.get(p.customerId) ?? null })),
  };
}
