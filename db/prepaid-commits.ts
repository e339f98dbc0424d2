import type { EntityManager } from '@mikro-orm/core';
import type { CommitSettlement } from '../domain/prepaid-commits';
import { Customer, Invoice, PrepaidCommit, Subscription } from './entities';
import { cardToCharge } from './payment-method-reads';
import { flushUnlessTaken } from './flush-unless-taken';
import { newId } from './ids';

/** A customer's prepaid commits, newest first. */
export function prepaidCommitsOf(em: EntityManager, customerId: string): Promise<PrepaidCommit[]> {
  return em.find(PrepaidCommit, { customerId }, { orderBy: { createdAt: 'desc', id: 'desc' } });
}

/** The subscription's commit being funded or in its term, or null. */
export function livePrepaidCommit(em: EntityManager, subscriptionId: string): Promise<PrepaidCommit | null> {
  return em.findOne(PrepaidCommit, { liveFor: subscriptionId });
}

/**
 * Writes a new commit, funding; null when the subscription already has one funding or active (its unique
 * `liveFor` refused the second of two made at once).
 */
export async function insertPrepaidCommit(
  em: EntityManager,
  c: Pick<
    PrepaidCommit,
    | 'customerId'
    | 'subscriptionId'
    | 'amountCents'
    | 'currency'
    | 'periods'
    | 'unused'
    | 'startsAt'
    | 'createdBy'
  >,
  now: Date,
): Promise<PrepaidCommit | null> {
  const row = em.create(PrepaidCommit, {
    ...c,
    id: newId('ppc'),
    status: 'funding',
    liveFor: c.subscriptionId,
    createdAt: now,
  });
  return (await flushUnlessTaken(em)) ? row : null;
}

/** What funding or settling a commit needs: its terms, the Stripe customer and the card to charge. */
export async function prepaidCommitContext(em: EntityManager, commitId: string) {
  const commit = await em.findOneOrFail(PrepaidCommit, commitId);
  const [customer, card] = await Promise.all([
    em.findOneOrFail(Customer, commit.customerId, { fields: ['stripeCustomerId'] }),
    cardToCharge(em, commit.customerId),
  ]);
  return { commit, stripeCustomerId: customer.stripeCustomerId ?? null, card };
}

/** Moves a commit on: its invoice, its funding, its refusal or its settlement. Each write is idempotent. */
export async function updatePrepaidCommit(
  em: EntityManager,
  commitId: string,
  change:
    | { stripeInvoiceId: string }
    | { funded: { creditTransactionId: string; at: Date } }
    | { declined: true }
    | { settled: CommitSettlement & { termEndsAt: Date; at: Date } },
): Promise<PrepaidCommit> {
  const c = await em.findOneOrFail(PrepaidCommit, commitId);
  if ('stripeInvoiceId' in change) c.stripeInvoiceId = change.stripeInvoiceId;
  else if ('funded' in change) {
    if (c.status !== 'funding') return c;
    c.status = 'active';
    c.creditTransactionId = change.funded.creditTransactionId;
    c.fundedAt = change.funded.at;
  } else if ('declined' in change) {
    if (c.status !== 'funding') return c;
    c.status = 'declined';
    c.liveFor = null;
  } else {
    if (c.status === 'settled') return c;
    const s = change.settled;
    Object.assign(c, {
      status: 'settled',
      liveFor: null,
      termEndsAt: s.termEndsAt,
      drawnCents: s.drawnCents,
      expiredCents: s.expiredCents,
      rolledOverCents: s.rolledOverCents,
      settledAt: s.at,
    });
  }
  await em.flush();
  return c;
}

/** The commit an invoice bought, if it bought one that was paid (funding, active or settled). */
export function commitBoughtBy(em: EntityManager, stripeInvoiceId: string): Promise<PrepaidCommit | null> {
  return em.findOne(PrepaidCommit, { stripeInvoiceId, status: { $ne: 'declined' } });
}

/** A commit whose term has ended: the end of its last period. */
export interface DueCommitSettlement {
  commitId: string;
  termEndsAt: string;
}

/**
 * Active commits whose term has ended: the mirror has the renewal invoice (Stripe's `subscription_cycle`)
 * of the term's last period, the `periods`-th from the term's start, or the subscription ended first (its
 * last invoice is final by then: Stripe draws the balance when it cancels).
 */
export async function dueCommitSettlements(em: EntityManager, limit = 100): Promise<DueCommitSettlement[]> {
  // Every active commit is looked at (no page of them: one page of long terms would starve the rest).
  const active = await em.find(
    PrepaidCommit,
    { status: 'active' },
    { fields: ['subscriptionId', 'startsAt', 'periods'], orderBy: { startsAt: 'asc', id: 'asc' } },
  );
  if (active.length === 0) return [];
  const ended = await em.find(
    Subscription,
    { id: { $in: [...new Set(active.map((c) => c.subscriptionId))] }, endedAt: { $ne: null } },
    { fields: ['endedAt'] },
  );
  const endedAt = new Map(ended.map((s) => [s.id, s.endedAt as Date]));
  const renewals = await em.find(
    Invoice,
    {
      subscription: { $in: [...new Set(active.map((c) => c.subscriptionId))] },
      billingReason: 'subscription_cycle',
      status: { $ne: 'draft' },
      periodStart: { $gte: new Date(Math.min(...active.map((c) => c.startsAt.getTime()))) },
    },
    { fields: ['subscription', 'periodStart', 'periodEnd'], orderBy: { periodStart: 'asc' } },
  );
  // Each subscription's renewals, oldest first, found by key: a scan of every renewal for each commit
  // would grow with the square of the book.
  const renewalsOf = new Map<string, typeof renewals>();
  for (const inv of renewals) {
    const id = inv.subscription?.id;
    if (!id || !inv.periodStart) continue;
    const list = renewalsOf.get(id);
    if (list) list.push(inv);
    else renewalsOf.set(id, [inv]);
  }
  const due: DueCommitSettlement[] = [];
  for (const c of active) {
    const closing = (renewalsOf.get(c.subscriptionId) ?? []).filter(
      (inv) => (inv.periodStart as Date) >= c.startsAt,
    )[c.periods - 1];
    const end = closing?.periodEnd ?? endedAt.get(c.subscriptionId);
    if (end) due.push({ commitId: c.id, termEndsAt: end.toISOString() });
    if (due.length >= limit) break;
  }
  return due;
}

/**
 * What the mirror shows invoices drew from the customer's balance since the commit was funded (each
 * finalized invoice's total less what it asked of the card), its own invoice left out: the figure of a
 * term still running. The settlement reads Stripe's balance moves instead.
 */
export async function balanceDrawnSince(em: EntityManager, c: PrepaidCommit): Promise<number> {
  if (!c.fundedAt) return 0;
  const invoices = await em.find(
    Invoice,
    {
      customer: c.customerId,
      createdAt: { $gte: c.fundedAt },
      status: { $nin: ['draft', 'void'] },
      ...(c.stripeInvoiceId ? { stripeInvoiceId: { $ne: c.stripeInvoiceId } } : {}),
    },
    { fields: ['totalCents', 'amountDueCents'] },
  );
  return invoices.reduce((sum, inv) => sum + Math.max(0, inv.totalCents - inv.amountDueCents), 0);
}

/**
 * Prepaid commits for revenue, in one currency: those in their term now, and those whose term ended in
 * [start, end), oldest first, with their customer's email.
 */
export async function prepaidCommitBook(em: EntityManager, currency: string, start: Date, end: Date) {
  const [active, settled] = await Promise.all([
    em.find(PrepaidCommit, { status: 'active', currency }, { fields: ['amountCents'] }),
    em.find(
      PrepaidCommit,
      { status: 'settled', currency, termEndsAt: { $gte: start, $lt: end } },
      { orderBy: { termEndsAt: 'asc', id: 'asc' } },
    ),
  ]);
  const customers = await em.find(
    Customer,
    { id: { $in: [...new Set(settled.map((c) => c.customerId))] } },
    { fields: ['email'] },
  );
  const email = new Map(customers.map((c) => [c.id, c.email]));
  return {
    active: active.map((c) => c.amountCents),
    settled: settled.map((c) => ({
      email: email.get(c.customerId) ?? null,
      commitId: c.id,
      amountCents: c.amountCents,
      termEndsAt: c.termEndsAt as Date,
      drawnCents: c.drawnCents ?? 0,
      expiredCents: c.expiredCents ?? 0,
      rolledOverCents: c.rolledOverCents ?? 0,
    })),
  };
}
