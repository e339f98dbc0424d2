import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import { Charge, Invoice, Plan, SubscriptionChange } from './entities';
import { num, readDate, sqlFor, type Sql } from './raw-sql';
import { termsFor } from '../domain/currency/plan-terms';
import type { LinePrice } from '../domain/invoice-explain';
import { effectiveRateCard } from '../domain/rate-card';
import { includedCreditsPerPeriod } from '../domain/usage';

/** The four Stripe prices a plan version bills with, by the role and cycle each has. */
const PRICE_FIELDS = [
  ['stripePriceMonthlyId', 'plan', 'month'],
  ['stripePriceYearlyId', 'plan', 'year'],
  ['stripeUsagePriceMonthlyId', 'usage', 'month'],
  ['stripeUsagePriceYearlyId', 'usage', 'year'],
] as const;

/**
 * The plan version a Stripe price belongs to, with what it bills: its fee or its metered usage, in which
 * cycle and currency, at which amounts. Null for a price the engine did not make (a one-off item's).
 */
export async function linePriceOf(em: EntityManager, priceId: string): Promise<LinePrice | null> {
  const plan = await em.findOne(Plan, { $or: PRICE_FIELDS.map(([field]) => ({ [field]: priceId })) });
  if (plan) {
    const [, role, interval] = PRICE_FIELDS.find(([field]) => plan[field] === priceId)!;
    return linePrice(plan, role, interval, plan.currency);
  }
  // Another currency's prices live in the plan's JSON; the text match narrows to a few rows.
  const rows = await sqlFor(em).rows<{ id: string }>(
    `select id from plans where cast(currency_prices as text) like :pattern`,
    { pattern: `%"${priceId.replace(/[^A-Za-z0-9_]/g, '')}"%` },
  );
  for (const { id } of rows) {
    const candidate = await em.findOne(Plan, id);
    for (const [currency, prices] of Object.entries(candidate?.currencyPrices ?? {})) {
      const hit = PRICE_FIELDS.find(([field]) => prices[field] === priceId);
      if (candidate && hit) return linePrice(candidate, hit[1], hit[2], currency);
    }
  }
  return null;
}

function linePrice(
  plan: Plan,
  role: 'plan' | 'usage',
  interval: 'month' | 'year',
  currency: string,
): LinePrice {
  const terms = termsFor(plan, currency);
  return {
    planId: plan.id,
    planName: plan.displayName,
    interval,
    currency,
    role,
    unitCents: (interval === 'year' ? terms.priceYearlyCents : terms.priceMonthlyCents) ?? null,
    seatTiers: plan.seatMin != null ? (plan.seatTiers ?? null) : null,
    // As the rollup rates what it tells Stripe's meter (db/rating-context.ts).
    rateCard: effectiveRateCard(
      terms.rateCard,
      includedCreditsPerPeriod(plan.includedCredits, interval),
      terms.overagePer1kCents,
    ),
  };
}

/** One rollup of a period: a window of one usage type, and the meter event that carried its period's cost. */
export interface RollupLineage {
  id: string;
  type: string;
  lineKey: string;
  windowStart: Date;
  windowEnd: Date;
  units: number;
  /** Stripe's meter event identifier of the period's cost sent with this rollup the newest. */
  meterEventIdentifier: string;
  stripeReportedAt: Date | null;
}

/** The events a period's rollups summed: how many, their units, and every id by a checksum. */
export interface EventLineage {
  count: number;
  /** Units reported, and of them paid ahead (prepaid credits, a seat's own pool) and so not billed. */
  units: number;
  paidAheadUnits: number;
  firstAt: Date | null;
  lastAt: Date | null;
  /** The first ids in id order (the reporter's own), at most `EVENT_IDS_SHOWN`. */
  ids: string[];
  /** SHA-256 of every id in id order, one a line: the same events give the same sum on any copy. */
  idsSha256: string;
}

export const EVENT_IDS_SHOWN = 100;

/**
 * The events a customer's period rolled up, once each, in event id order: those folded whole into a rollup,
 * and those whose token kinds went into several (usage_event_parts). Binds the customer and the period's
 * start twice.
 */
const periodEventsQuery = (columns: string) => {
  const select = `select e.id as row_id, e.event_id as event_id, ${columns} from usage_events e`;
  return `${select} join usage_rollups r on r.id = e.rollup_id
      where r.customer_id = ? and r.period_start = ?
   union
   ${select} join usage_event_parts p on p.event_id = e.id join usage_rollups r on r.id = p.rollup_id
      where r.customer_id = ? and r.period_start = ?
   order by event_id, row_id`;
};

/** A customer's usage of one period as its rollups hold it: units by rate-card line, the rollups, the events. */
export async function periodUsageLineage(
  sql: Sql,
  customerId: string,
  periodStart: Date,
): Promise<{ unitsByLine: Map<string, number>; rollups: RollupLineage[]; events: EventLineage }> {
  const at = sql.date(periodStart);
  const [rollupRows, eventRows] = await Promise.all([
    sql.read<Record<string, unknown>>(
      `select id, type, line_key, window_start, window_end, quantity, stripe_reported_at from usage_rollups
          where customer_id = ? and period_start = ? order by window_start, id`,
      [customerId, at],
    ),
    sql.read<Record<string, unknown>>(periodEventsQuery('e.quantity, e.prepaid, e.occurred_at'), [
      customerId,
      at,
      customerId,
      at,
    ]),
  ]);
  const unitsByLine = new Map<string, number>();
  const rollups = rollupRows.map((r) => {
    const units = num(r.quantity);
    const lineKey = String(r.line_key);
    unitsByLine.set(lineKey, (unitsByLine.get(lineKey) ?? 0) + units);
    return {
      id: String(r.id),
      type: String(r.type),
      lineKey,
      windowStart: readDate(r.window_start),
      windowEnd: readDate(r.window_end),
      units,
      meterEventIdentifier: `cost:${String(r.id)}`,
      stripeReportedAt: r.stripe_reported_at == null ? null : readDate(r.stripe_reported_at),
    };
  });
  const hash = createHash('sha256');
  let units = 0;
  let paidAhead = 0;
  let first: Date | null = null;
  let last: Date | null = null;
  for (const e of eventRows) {
    hash.update(`${String(e.event_id)}\n`);
    units += num(e.quantity);
    paidAhead += num(e.prepaid);
    const occurred = readDate(e.occurred_at);
    if (!first || occurred < first) first = occurred;
    if (!last || occurred > last) last = occurred;
  }
  return {
    unitsByLine,
    rollups,
    events: {
      count: eventRows.length,
      units,
      paidAheadUnits: paidAhead,
      firstAt: first,
      lastAt: last,
      ids: eventRows.slice(0, EVENT_IDS_SHOWN).map((e) => String(e.event_id)),
      idsSha256: hash.digest('hex'),
    },
  };
}

/** What one prepaid credit grant paid of a period's usage: its draws, a row a UTC day. */
export interface CreditDrawLineage {
  grantId: string;
  units: number;
  movementIds: string[];
  firstAt: Date;
  lastAt: Date;
}

/** The ledger's draws on prepaid grants for a customer's billing period, per grant, oldest grant first. */
export async function periodCreditDraws(
  sql: Sql,
  customerId: string,
  periodStart: Date,
): Promise<CreditDrawLineage[]> {
  const rows = await sql.read<Record<string, unknown>>(
    `select id, grant_id, amount, at from credit_movements
        where customer_id = ? and period_start = ? and kind = 'draw' order by at, id`,
    [customerId, sql.date(periodStart)],
  );
  const byGrant = new Map<string, CreditDrawLineage>();
  for (const r of rows) {
    const at = readDate(r.at);
    const grantId = String(r.grant_id);
    const g = byGrant.get(grantId) ?? { grantId, units: 0, movementIds: [], firstAt: at, lastAt: at };
    g.units += num(r.amount);
    g.movementIds.push(String(r.id));
    g.lastAt = at;
    byGrant.set(grantId, g);
  }
  return [...byGrant.values()];
}

/** The mirror's invoice by its Stripe id (`in_…`) or the engine's (`inv_…`), or null. */
export function invoiceByEitherId(em: EntityManager, id: string): Promise<Invoice | null> {
  return em.findOne(
    Invoice,
    { $or: [{ stripeInvoiceId: id }, { id }] },
    { populate: ['subscription', 'customer'] },
  );
}

/** The charges that paid (or tried to pay) an invoice, oldest first. */
export function chargesOfInvoice(em: EntityManager, invoiceId: string): Promise<Charge[]> {
  return em.find(Charge, { invoice: invoiceId }, { orderBy: { createdAt: 'asc' } });
}

/** The subscription's changes of price or state inside a span: what its prorations bill. */
export function changesBetween(
  em: EntityManager,
  subscriptionId: string,
  from: Date,
  to: Date,
): Promise<SubscriptionChange[]> {
  return em.find(
    SubscriptionChange,
    { subscription: subscriptionId, at: { $gte: from, $lte: to } },
    { orderBy: { at: 'asc' } },
  );
}

/** Issued invoices (drafts left out) created in [from, to), oldest first, a keyset page after `after`. */
export function invoicesIssuedBetween(
  em: EntityManager,
  span: { from: Date; to: Date },
  after: { createdAt: Date; id: string } | null,
  limit: number,
): Promise<Invoice[]> {
  return em.find(
    Invoice,
    {
      status: { $ne: 'draft' },
      createdAt: { $gte: span.from, $lt: span.to },
      ...(after && {
        $or: [{ createdAt: { $gt: after.createdAt } }, { createdAt: after.createdAt, id: { $gt: after.id } }],
      }),
    },
    { orderBy: { createdAt: 'asc', id: 'asc' }, limit, populate: ['subscription', 'customer'] },
  );
}

/** One usage event as an evidence pack lists it. */
export interface PeriodEvent {
  eventId: string;
  type: string;
  quantity: number;
  paidAhead: number;
  occurredAt: Date;
  subject: string | null;
}

/** Every event a period's rollups summed, in id order: the list an evidence pack carries whole. */
export async function periodEvents(sql: Sql, customerId: string, periodStart: Date): Promise<PeriodEvent[]> {
  const at = sql.date(periodStart);
  const rows = await sql.read<Record<string, unknown>>(
    periodEventsQuery('e.type, e.quantity, e.prepaid, e.occurred_at, e.subject'),
    [customerId, at, customerId, at],
  );
  return rows.map((e) => ({
    eventId: String(e.event_id),
    type: String(e.type),
    quantity: num(e.quantity),
    paidAhead: num(e.prepaid),
    occurredAt: readDate(e.occurred_at),
    subject: e.subject == null ? null : String(e.subject),
  }));
}
