import type { EntityManager } from '@mikro-orm/core';
import { AppError } from '../domain/errors';
import { recordAudit } from './audit';
import {
  MARGIN_WINDOW_DAYS,
  rehearsalSummary,
  type MigrationItemResult,
  type RehearsalDetail,
} from '../domain/plan-migration';
import type { ProratedSubscription } from '../domain/plan-change-proration';
import { creditBalance } from '../domain/credit-ledger';
import { readLedger } from './credit-ledger';
import { sqlFor } from './raw-sql';
import { FINAL_STATUSES } from '../domain/subscription-status';
import { applyOverrides, entitlementChanges, planEntitlements } from '../domain/entitlements';
import { EntitlementOverrideRow, Plan, PlanMigration, PlanMigrationItem, Subscription } from './entities';
import { planChangeRequest, priceForSeats, pricesFor } from './plan-prices';
import { allModelRates, usageCostGroups } from './model-costs';
import { COST_CURRENCY } from '../domain/model-costs/catalogue';
import { conversion } from '../domain/currency/exchange-rates';
import { readExchangeRates } from './exchange-rates';
import { usageUnderCards, type UsageUnderCards } from '../domain/model-costs/margins';
import { termsFor } from '../domain/currency/plan-terms';
import { effectiveRateCard } from '../domain/rate-card';

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
  items: (MigrationItemResult & { detail?: RehearsalDetail | null })[],
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
      fresh.map((i) => ({ migrationId, ...i, reason: storedReason(i.reason), recordedAt: now })),
    );
  }
  return fresh.length;
}

/** The column holds 500 characters; a longer refusal (a workflow's own text) is cut, by whole characters. */
const REASON_CHARS = 500;
function storedReason(reason: string | null): string | null {
  if (reason === null) return null;
  const chars = Array.from(reason);
  return chars.length <= REASON_CHARS ? reason : `${chars.slice(0, REASON_CHARS - 1).join('')}…`;
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
  if (m.kind === 'rehearsal') {
    const moves = await em.find(
      PlanMigrationItem,
      { migrationId },
      { fields: ['subscriptionId', 'outcome', 'detail'], orderBy: { subscriptionId: 'asc' } },
    );
    m.summary = rehearsalSummary(
      moves.flatMap((i) =>
        i.detail ? [{ subscriptionId: i.subscriptionId, outcome: i.outcome, detail: i.detail }] : [],
      ),
    );
  }
  recordAudit(em, {
    actor: { sub: m.startedById, email: m.startedByEmail ?? null },
    action: m.kind === 'rehearsal' ? 'plan.rehearse.finish' : 'plan.migrate.finish',
    entityType: 'plan',
    entityId: m.planCode,
    after: { migration_id: m.id, version: m.toVersion, ...counts },
  });
  await em.flush();
  return counts;
}

/**
 * Whether a run of the plan, of this kind and other than `exceptId`, has yet to record its end. None while
 * the workflow that holds the plan's id is still open means that run is past its last step and closing.
 */
export async function otherRunOpen(
  em: EntityManager,
  planCode: string,
  kind: PlanMigration['kind'],
  exceptId: string,
): Promise<boolean> {
  return (await em.count(PlanMigration, { planCode, kind, status: 'running', id: { $ne: exceptId } })) > 0;
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

/**
 * For the customers given, what moving from a plan version onto `to` gains and loses them, their
 * entitlement overrides in force at `now` counted: one read of the overrides, then a pure decision each.
 */
export async function entitlementChangesOf(em: EntityManager, customerIds: string[], to: Plan, now: Date) {
  const overrides = await em.find(EntitlementOverrideRow, {
    customerId: { $in: customerIds },
    removedAt: null,
  });
  const entitled = (plan: Plan, customerId: string) =>
    applyOverrides(
      planEntitlements({ ...plan, dailyApiCalls: plan.dailyApiCalls ?? null }),
      overrides
        .filter((o) => o.customerId === customerId)
        .map((o) => ({
          feature: o.feature,
          ...o.change,
          expiresAt: o.expiresAt ?? null,
          createdAt: o.createdAt,
        })),
      now,
    );
  return (from: Plan, customerId: string) =>
    entitlementChanges(entitled(from, customerId), entitled(to, customerId));
}

/** What a rehearsal reads of one subscription beside its workflow's state. */
export interface RehearsalContext {
  terms: ProratedSubscription;
  currency: string;
  periodEnd: string | null;
  includedCredits: { before: number; after: number };
  creditsCarriedOver: number;
  entitlementChanges: { feature: string; change: string }[];
  /** Its customer's last MARGIN_WINDOW_DAYS of usage under both cards, and its cost; null if not costed. */
  usage: UsageUnderCards | null;
}

/** A plan version's card in `currency` as a month rates with it: the pool (a month's credits) first. */
function monthCard(plan: Plan, currency: string) {
  const t = termsFor(plan, currency);
  return effectiveRateCard(t.rateCard, plan.includedCredits, t.overagePer1kCents);
}

/**
 * For each subscription of a rehearsal's page: its terms as the mirror holds them (for the proration),
 * the included credits of its version and of `to`, the prepaid credits its customer holds (which a
 * change leaves alone), and the entitlements it would gain and lose.
 */
export async function rehearsalContexts(
  em: EntityManager,
  subscriptionIds: string[],
  to: { planCode: string; toVersion: number },
  now: Date,
): Promise<Map<string, RehearsalContext>> {
  const plan = await em.findOneOrFail(Plan, { code: to.planCode, version: to.toVersion });
  const subs = await em.find(Subscription, { id: { $in: subscriptionIds } }, { populate: ['plan'] });
  const changesOf = await entitlementChangesOf(
    em,
    subs.map((s) => s.customer.id),
    plan,
    now,
  );
  const sql = sqlFor(em);
  const [usage, rates, exchange] = await Promise.all([
    usageCostGroups(
      sql,
      new Date(now.getTime() - MARGIN_WINDOW_DAYS * 86_400_000),
      now,
      subs.map((s) => s.customer.id),
    ),
    allModelRates(em),
    readExchangeRates(em),
  ]);
  // The usage's cost in each subscriber's currency; none for a currency the admin's rates cannot convert.
  const usageIn = (sub: (typeof subs)[number]) => {
    const into = conversion(exchange, COST_CURRENCY, sub.currency);
    if (!into) return null;
    const before = monthCard(sub.plan, sub.currency);
    const after = monthCard(plan, sub.currency);
    const own = usage.filter((g) => g.customerId === sub.customer.id);
    return usageUnderCards(own, { before, after }, rates, into);
  };
  const out = new Map<string, RehearsalContext>();
  for (const sub of subs) {
    const ledger = await readLedger(sql, sub.customer.id);
    const prepaid = ledger.grants.filter((g) => g.source !== 'included');
    out.set(sub.id, {
      terms: {
        tier: sub.tier,
        amountCents: sub.amountCents,
        interval: sub.interval,
        currentPeriodStart: sub.currentPeriodStart ?? null,
        currentPeriodEnd: sub.currentPeriodEnd ?? null,
        discount: sub.discount ?? null,
      },
      currency: sub.currency,
      periodEnd: sub.currentPeriodEnd ? sub.currentPeriodEnd.toISOString() : null,
      includedCredits: { before: sub.plan.includedCredits, after: plan.includedCredits },
      creditsCarriedOver: creditBalance(prepaid, ledger.movements, now),
      usage: usageIn(sub),
      entitlementChanges: changesOf(sub.plan, sub.customer.id).map((c) => ({
        feature: c.feature,
        change: c.change,
      })),
    });
  }
  return out;
}

/**
 * How a migration approved from a rehearsal compares with it, subscription by subscription: the same
 * outcome, result and price, or not. Subscriptions only one of them reached count as differing.
 */
export async function rehearsalComparison(
  em: EntityManager,
  migrationId: string,
  rehearsalId: string,
): Promise<{ matched: number; differed: number; differing: string[] }> {
  const fields = ['subscriptionId', 'outcome', 'result', 'newAmountCents'] as const;
  const [real, rehearsed] = await Promise.all([
    em.find(PlanMigrationItem, { migrationId }, { fields: [...fields] }),
    em.find(PlanMigrationItem, { migrationId: rehearsalId }, { fields: [...fields] }),
  ]);
  const expected = new Map(rehearsed.map((i) => [i.subscriptionId, i]));
  let matched = 0;
  const differing: string[] = [];
  for (const i of real) {
    if (sameMove(i, expected.get(i.subscriptionId))) matched++;
    else differing.push(i.subscriptionId);
  }
  const reached = new Set(real.map((i) => i.subscriptionId));
  for (const i of rehearsed) if (!reached.has(i.subscriptionId)) differing.push(i.subscriptionId);
  differing.sort();
  return { matched, differed: differing.length, differing: differing.slice(0, 100) };
}

/** Whether a move came out as rehearsed: same outcome, same result, same new price. */
export function sameMove(
  real: Pick<PlanMigrationItem, 'outcome' | 'result' | 'newAmountCents'>,
  rehearsed: Pick<PlanMigrationItem, 'outcome' | 'result' | 'newAmountCents'> | undefined,
): boolean {
  return (
    rehearsed !== undefined &&
    real.outcome === rehearsed.outcome &&
    (real.result ?? null) === (rehearsed.result ?? null) &&
    (real.newAmountCents ?? null) === (rehearsed.newAmountCents ?? null)
  );
}
