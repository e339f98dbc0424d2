import { effectiveRateCard, unpooledTypes } from '../../domain/rate-card';
import { periodCost } from '../rate-cards/period-cost';
import type { EntityManager, FilterQuery } from '@mikro-orm/core';
import { paidAheadInPeriod } from '../../db/credit-account';
import { Customer, UsageEvent, UsageRollup } from '../../db/entities';
import { notFound } from '../../domain/errors';
import {
  BYOK_ROLLUP_MARK,
  creditsFor,
  PARTS_ROLLUP_MARK,
  DEFAULT_USAGE_TYPES,
  includedCreditsPerPeriod,
  utcDay,
} from '../../domain/usage';
import type { Identity } from '../../domain/identity';
import { cachedAccessFor, type Access } from '../access/check-access';
import { findCustomerFor } from '../customers/find-customer';
import { countersFor } from '../../db/usage-counters';
import { periodUsage } from './period-usage';
import { readDate, sqlFor } from '../../db/raw-sql';
import { forgiveDay, quotaUsedByType, quotaUsedPerDaySince, topCustomersOn } from '../../db/daily-usage';
import { rollupBacklog } from '../../db/rollup-backlog';
import { eventPartRollups } from '../../db/usage-rollups';
import { recordAudit } from '../../db/audit';
import { NEWEST_ID_FIRST, seekRows } from '../../db/keyset-pagination';

type ByType = Record<string, number>;

function zeroes(): ByType {
  return Object.fromEntries(DEFAULT_USAGE_TYPES.map((t) => [t, 0]));
}

function fold(rows: { type: string; n: number | string | null }[]): ByType {
  const out = zeroes();
  for (const r of rows) out[r.type] = (out[r.type] ?? 0) + Number(r.n ?? 0);
  return out;
}

const sum = (b: ByType) => Object.values(b).reduce((a, n) => a + n, 0);

/** The billing period usage is counted in: the subscription's open period, else the calendar month. */
function periodOf(access: Access, now: Date): { start: Date; end: Date | null } {
  const sub = access.subscription;
  const start = sub?.currentPeriodStart ?? sub?.trialStart ?? null;
  if (start) return { start, end: sub?.currentPeriodEnd ?? sub?.trialEnd ?? null };
  const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  return { start: monthStart, end: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)) };
}

/**
 * The caller's usage: today's and this period's units per type, and the credits arithmetic in integer
 * cents. BYOK usage is shown apart and never counted against credits.
 */
export async function usageSummary(em: EntityManager, identity: Identity) {
  const now = new Date(countersFor(em).now());
  // What the subscription grants as check-access sees it (memoised a couple of seconds): on PostgreSQL a
  // round trip is most of a read's cost, and the gateway and the dashboard read this view very often.
  const {
    lines: _lines,
    prepaid: _prepaid,
    ...summary
  } = await usageSummaryOf(em, await cachedAccessFor(em, identity), now);
  return summary;
}

/** A customer's usage summary from their access (see usageSummary), with their effective rate card. */
export async function usageSummaryOf(em: EntityManager, access: Access, now: Date) {
  const period = periodOf(access, now);
  const today = zeroes();
  const month = zeroes();
  const byokMonth = zeroes();
  const customerId = access.customerId;
  // Both reads at once: on PostgreSQL each is a round trip, and neither needs the other.
  const [typeUnits, { prepaid, seatPaid }] = customerId
    ? await Promise.all([
        periodUsage(em, customerId, period.start),
        paidAheadInPeriod(sqlFor(em), customerId, period.start),
      ])
    : [[], { prepaid: 0, seatPaid: 0 }];
  for (const t of typeUnits) {
    today[t.type] = (today[t.type] ?? 0) + t.today;
    month[t.type] = (month[t.type] ?? 0) + t.counted;
    byokMonth[t.type] = (byokMonth[t.type] ?? 0) + t.byok;
  }
  const plan = access.plan;
  const included = includedCreditsPerPeriod(
    plan?.includedCredits ?? 0,
    access.subscription?.interval ?? 'month',
  );
  // Types the plan's rate card prices by their own lines are outside the credit pool.
  const unpooled = unpooledTypes(plan?.rateCard ?? []);
  const credits = creditsFor({
    tier: access.tier,
    includedCredits: included,
    overagePer1kCents: plan?.overagePer1kCents ?? 0,
    // What seats paid is not the account's: it used none of the included credits.
    used: sum(Object.fromEntries(Object.entries(month).filter(([type]) => !unpooled.has(type)))) - seatPaid,
    prepaid,
  });
  const lines = effectiveRateCard(plan?.rateCard ?? [], included, plan?.overagePer1kCents ?? 0);
  const cost = await periodCost(
    em,
    customerId,
    lines,
    period.start,
    // The pool line is rated on what prepaid credits left, as the credits arithmetic: the same cents.
    Math.max(0, credits.used - prepaid),
  );
  return {
    usage: { today, month, byokMonth, periodStart: period.start, periodEnd: period.end },
    credits,
    cost,
    // The subscription's currency: the cost and the credits' overage are in it.
    currency: access.subscription?.currency ?? 'usd',
    tier: access.tier,
    lines,
    /** Pool units prepaid credits paid this period. */
    prepaid,
  };
}

export type UsageSummary = Awaited<ReturnType<typeof usageSummary>>;

/** A rollup's id, not one of the marks an event's rollup_id may hold. */
const isRollupId = (id: string | null | undefined): id is string =>
  !!id && id !== BYOK_ROLLUP_MARK && id !== PARTS_ROLLUP_MARK;

/** Where an event stands on its way to the bill. */
export type UsageRecordStatus = 'not_billed_byok' | 'pending' | 'reported' | 'rolled_up';

/**
 * The caller's events, newest first, a page after the cursor's event, each with the rollup it was folded into and
 * where that rollup was reported; the page's rollups are listed once beside them.
 */
export async function usageRecords(
  em: EntityManager,
  identity: Identity,
  q: { limit: number; cursor?: string; type?: string },
) {
  const customer = await findCustomerFor(em, identity);
  if (!customer) return { records: [], rollups: [], nextCursor: null };
  const where: FilterQuery<UsageEvent> = { customer, ...(q.type ? { type: q.type } : {}) };
  const { items: events, nextCursor } = await seekRows(em, UsageEvent, where, {
    key: NEWEST_ID_FIRST,
    limit: q.limit,
    cursor: q.cursor,
  });
  // An event whose token kinds were billed on lines of their own went into a rollup per line: it shows the
  // first, and the page lists them all.
  const partsOf = await eventPartRollups(
    sqlFor(em),
    events.filter((e) => e.rollupId === PARTS_ROLLUP_MARK).map((e) => e.id),
  );
  const rollupOf = (e: UsageEvent) =>
    e.rollupId === PARTS_ROLLUP_MARK ? (partsOf.get(e.id)?.[0] ?? null) : (e.rollupId ?? null);
  const rollupIds = [
    ...new Set([...events.map((e) => e.rollupId), ...[...partsOf.values()].flat()].filter(isRollupId)),
  ];
  const rollups = rollupIds.length ? await em.find(UsageRollup, { id: { $in: rollupIds } }) : [];
  const byId = new Map(rollups.map((r) => [r.id, r]));
  return {
    records: events.map((e) => {
      const rollupId = rollupOf(e);
      const rollup = rollupId ? byId.get(rollupId) : undefined;
      const status: UsageRecordStatus = e.byok
        ? 'not_billed_byok'
        : !rollup
          ? 'pending'
          : rollup.stripeReportedAt || rollup.lagoReportedAt
            ? 'reported'
            : 'rolled_up';
      return {
        event: e,
        status,
        rollupId: isRollupId(rollupId) ? rollupId : null,
        stripeReportId: rollup?.stripeReportedAt ? rollup.identifier : null,
        lagoTransactionId: rollup?.lagoReportedAt ? rollup.identifier : null,
      };
    }),
    rollups,
    nextCursor,
  };
}

/**
 * Zeroes today's quota counters of one customer, audited. Stored events are untouched, so billing still
 * counts them; only the daily limit starts over.
 */
export async function resetTodayUsage(
  em: EntityManager,
  actor: Identity,
  email: string,
  reason: string | undefined,
) {
  const counters = countersFor(em);
  const now = new Date(counters.now());
  const { day, resetsAt } = utcDay(now);
  const customer = await em.findOne(Customer, { email: email.toLowerCase() });
  if (!customer) throw notFound('customer', email);
  const previous = await em.transactional(async (tem) => {
    const sql = sqlFor(tem);
    const before = fold(await quotaUsedByType(sql, customer.id, day));
    // The units stay counted (stored, billed, in the period's usage); only the quota lets them off.
    await forgiveDay(sql, customer.id, day);
    recordAudit(tem, {
      actor: actor,
      action: 'usage.reset',
      entityType: 'customer',
      entityId: customer.id,
      before: { day, used: before },
      after: { day, used: {}, reason: reason ?? null },
    });
    return before;
  });
  counters.set(customer.id, day, 0);
  return {
    email: customer.email,
    customerId: customer.id,
    day,
    previousUsed: sum(previous),
    previousByType: previous,
    resetsAt,
  };
}

/** Usage across customers for operators: per type and day, top customers today, rollup backlog. */
export async function usageStats(em: EntityManager, q: { days: number; top: number }) {
  const now = new Date(countersFor(em).now());
  const { day: today } = utcDay(now);
  const since = utcDay(new Date(now.getTime() - (q.days - 1) * 86_400_000)).day;
  const sql = sqlFor(em);
  const perDay = await quotaUsedPerDaySince(sql, since);
  const top = await topCustomersOn(sql, today, q.top);
  const b = await rollupBacklog(sql);
  const days: Record<string, ByType> = {};
  for (const r of perDay) (days[r.day] ??= zeroes())[r.type] = Number(r.n);
  const totals = zeroes();
  for (const r of perDay) totals[r.type] = (totals[r.type] ?? 0) + Number(r.n);
  return {
    since,
    today,
    totalsByType: totals,
    total: sum(totals),
    todayByType: days[today] ?? zeroes(),
    byDay: Object.entries(days).map(([day, byType]) => ({ day, byType, total: sum(byType) })),
    topCustomersToday: top.map((t) => ({ customerId: t.customer_id, email: t.email, used: Number(t.n) })),
    rollupBacklog: {
      eventsNotRolledUp: Number(b?.pending_events ?? 0),
      oldestUnrolledEventAt: b?.oldest != null ? readDate(b.oldest) : null,
      rollupsNotInStripe: Number(b?.stripe ?? 0),
      rollupsNotInLago: Number(b?.lago ?? 0),
    },
  };
}

export type UsageRecords = Awaited<ReturnType<typeof usageRecords>>;
export type UsageReset = Awaited<ReturnType<typeof resetTodayUsage>>;
export type UsageStats = Awaited<ReturnType<typeof usageStats>>;
