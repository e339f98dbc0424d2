import type { EntityManager } from '@mikro-orm/core';
import { AppError } from '../domain/errors';
import { recordAudit } from './audit';
import type { MigrationItemResult } from '../domain/plan-migration';
import { FINAL_STATUSES } from '../domain/subscription-status';
import { Plan, PlanMigration, PlanMigrationItem, Subscription } from './entities';
import { planChangeRequest, priceForSeats, pricesFor } from './plan-prices';

/** A subscription a migration would move: the Update's request, or why it cannot be moved. */
export interface MigrationCandidate {
  subscriptionId: string;
  fromVersion: number;
  amountCents: number;
  newAmountCents: number | null;
  request: ReturnType<typeof planChangeRequest> | null;
  reason: string | null;
}

export interface CandidatePage {
  /** The plan's code and the version they move to. */
  planCode: string;
  toVersion: number;
  when: 'now' | 'period_end';
  afterId: string | null;
  limit: number;
}

/** The live subscribers of `code`'s versions older than `toVersion`, for a migration's whole. */
export function countMigrationCandidates(
  em: EntityManager,
  code: string,
  toVersion: number,
): Promise<number> {
  return em.count(Subscription, olderSubscribers(code, toVersion));
}

/**
 * The next page of subscribers to move, by id, each with the changePlan request that moves it (its seats
 * priced as they fit) or the reason it cannot be moved. The request id names the subscription and the
 * version, so moving one twice changes nothing twice.
 */
export async function migrationCandidates(
  em: EntityManager,
  page: CandidatePage,
): Promise<{ candidates: MigrationCandidate[]; lastId: string | null }> {
  const plan = await em.findOne(Plan, { code: page.planCode, version: page.toVersion });
  if (!plan)
    throw new AppError('not_found', 'plan_not_found', `No plan "${page.planCode}" v${page.toVersion}`);
  const subs = await em.find(
    Subscription,
    {
      ...olderSubscribers(page.planCode, page.toVersion),
      ...(page.afterId ? { id: { $gt: page.afterId } } : {}),
    },
    { populate: ['plan'], orderBy: { id: 'asc' }, limit: page.limit },
  );
  const candidates = subs.map((sub): MigrationCandidate => {
    const base = { subscriptionId: sub.id, fromVersion: sub.plan.version, amountCents: sub.amountCents };
    const { priceId, usagePriceId, amountCents, synced } = pricesFor(plan, sub.interval, sub.currency);
    if (!synced || !priceId || amountCents == null) {
      return { ...base, newAmountCents: amountCents, request: null, reason: 'plan_not_synced' };
    }
    try {
      // On a plan priced per seat the subscription's seats move with it (refused when they no longer fit).
      const price = priceForSeats(
        { plan, priceId, usagePriceId, amountCents, interval: sub.interval, currency: sub.currency },
        sub,
      );
      return {
        ...base,
        newAmountCents: price.amountCents,
        request: planChangeRequest(price, page.when, `migrate:${sub.id}:v${plan.version}`),
        reason: null,
      };
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      return { ...base, newAmountCents: null, request: null, reason: err.message };
    }
  });
  return { candidates, lastId: subs.at(-1)?.id ?? null };
}

/**
 * Records what a batch did. A subscription already recorded for this migration keeps its first record, so
 * a batch retried after a crash adds nothing (one workflow writes a migration's batches, one at a time).
 */
export async function recordMigrationItems(
  em: EntityManager,
  migrationId: string,
  items: MigrationItemResult[],
  now: Date,
): Promise<number> {
  if (items.length === 0) return 0;
  const known = await em.find(
    PlanMigrationItem,
    { migrationId, subscriptionId: { $in: items.map((i) => i.subscriptionId) } },
    { fields: ['subscriptionId'] },
  );
  const seen = new Set(known.map((k) => k.subscriptionId));
  const fresh = items.filter((i) => !seen.has(i.subscriptionId));
  if (fresh.length > 0) {
    await em.insertMany(
      PlanMigrationItem,
      fresh.map((i) => ({ migrationId, ...i, recordedAt: now })),
    );
  }
  return fresh.length;
}

/**
 * Marks the migration done, with one audit entry of what it did, stored together. A second call (a retried
 * step) finds it done and changes nothing.
 */
export async function finishMigration(
  em: EntityManager,
  migrationId: string,
  now: Date,
): Promise<{ moved: number; failed: number }> {
  const m = await em.findOneOrFail(PlanMigration, migrationId);
  const counts = await migrationCounts(em, migrationId);
  if (m.status === 'completed') return counts;
  m.status = 'completed';
  m.finishedAt = now;
  recordAudit(em, {
    actor: { sub: m.startedById, email: m.startedByEmail ?? null },
    action: 'plan.migrate.finish',
    entityType: 'plan',
    entityId: m.planCode,
    after: { migration_id: m.id, version: m.toVersion, ...counts },
  });
  await em.flush();
  return counts;
}

/** How many subscriptions the migration moved and could not move so far. */
export async function migrationCounts(
  em: EntityManager,
  migrationId: string,
): Promise<{ moved: number; failed: number }> {
  const [moved, failed] = await Promise.all([
    em.count(PlanMigrationItem, { migrationId, outcome: 'moved' }),
    em.count(PlanMigrationItem, { migrationId, outcome: 'failed' }),
  ]);
  return { moved, failed };
}

/** A page of the migration's items by subscription id; failures first when asked. */
export function migrationItems(
  em: EntityManager,
  migrationId: string,
  opts: { outcome?: 'moved' | 'failed'; afterId?: string | null; limit: number },
): Promise<PlanMigrationItem[]> {
  return em.find(
    PlanMigrationItem,
    {
      migrationId,
      ...(opts.outcome ? { outcome: opts.outcome } : {}),
      ...(opts.afterId ? { subscriptionId: { $gt: opts.afterId } } : {}),
    },
    { orderBy: { subscriptionId: 'asc' }, limit: opts.limit },
  );
}

function olderSubscribers(code: string, toVersion: number) {
  return {
    tier: code,
    plan: { version: { $lt: toVersion } },
    status: { $nin: [...FINAL_STATUSES] },
  };
}
