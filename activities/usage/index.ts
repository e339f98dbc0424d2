import { ApplicationFailure } from '@temporalio/common';
import { newId } from '../../db/ids';
import { BYOK_ROLLUP_MARK, rollupIdentifier, windowStartOf } from '../../domain/usage';
import type { ActivityDeps } from '../deps';
import type { LagoSkipped, LagoUsageEvent, LagoUsageSent } from '../lago';
import { USAGE_METER_EVENT } from '../../integrations/stripe/catalog-sync';
import { stripeCall } from '../stripe/errors';
import { num, placeholders, readBool, readDate, readJsonObject, sqlFor } from '../../db/raw-sql';
import { createHash } from 'node:crypto';
import { NO_PLAN_RATING, ratingContexts } from '../../db/rating-context';
import { lineFor, lineKey, POOL_LINE_KEY, rateUsage } from '../../domain/rate-card';
import { periodHolding } from '../../domain/billing-cycle';
import { activityMeter } from '../activity-context';

export interface UsageActivityDeps extends ActivityDeps {
  /** Lago's batch sender (createLagoActivities(settings).sendLagoUsageBatch); absent means Lago is off. */
  sendLagoUsageBatch?: (events: LagoUsageEvent[]) => Promise<LagoSkipped | LagoUsageSent>;
  /**
   * Test seam: runs after a batch reached Stripe or Lago and before it is marked as reported, which is
   * where a crash must not lead to double billing.
   */
  afterReport?: (system: 'stripe' | 'lago', identifiers: string[]) => Promise<void>;
  /** The clock (tests move it); defaults to Date.now. */
  now?: () => number;
}

export interface RollupResult {
  rollups: number;
  events: number;
  /** More unreported events were left for the next call (the batch limit was hit). */
  more: boolean;
}

export interface ReportResult {
  skipped: boolean;
  reported: number;
  /** Rollups the receiver refused for good (e.g. a customer deleted in Stripe); retried next cycle. */
  failed: number;
  more: boolean;
}

interface EventRow {
  id: string;
  customer_id: string;
  type: string;
  quantity: number;
  occurred_at: unknown;
  metadata: unknown;
  byok: unknown;
}

interface RollupRow {
  id: string;
  customer_id: string;
  type: string;
  quantity: number;
  identifier: string;
  line_key: string;
  period_start: unknown;
  window_start: unknown;
  window_end: unknown;
}

interface RollupGroup {
  customerId: string;
  type: string;
  lineKey: string;
  periodStart: Date;
  start: number;
  qty: number;
  ids: string[];
}

/**
 * The type part of a rollup's identifier: the type alone for the pool (as before rate cards), else the
 * type and a short hash of the line, which keeps the identifier within Stripe's and Lago's lengths.
 */
function identifiedType(g: Pick<RollupGroup, 'type' | 'lineKey'>): string {
  if (g.lineKey === POOL_LINE_KEY) return g.type;
  return `${g.type}~${createHash('sha256').update(g.lineKey).digest('hex').slice(0, 12)}`;
}

const sameInstant = (a: Date, b: Date | undefined): boolean => b !== undefined && a.getTime() === b.getTime();

/** Links events to their rollup (or the BYOK mark), a thousand ids a statement. */
async function linkEvents(sql: ReturnType<typeof sqlFor>, rollupId: string, ids: string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += ID_CHUNK) {
    const chunk = ids.slice(i, i + ID_CHUNK);
    await sql.run(`update usage_events set rollup_id = ? where id in (${chunk.map(() => '?').join(', ')})`, [
      rollupId,
      ...chunk,
    ]);
  }
}

const ID_CHUNK = 1000;
/** Stripe refuses meter events older than 35 days; an older window is stamped just inside that limit. */
const STRIPE_MAX_AGE_S = 35 * 24 * 60 * 60 - 60 * 60;

/** Activities of the usage rollup workflow: fold events into rollups, report those to Stripe and Lago. */
/** How far behind the rollup runs: the age of the oldest event it found still waiting (0 when none). */
function recordRollupLag(ms: number): void {
  activityMeter()
    ?.createGauge(
      // The unit is in the name: the exporter would otherwise append a bare `_s`.
      'billing_usage_rollup_lag_seconds',
      'float',
      undefined,
      'Age of the oldest usage event not yet rolled up.',
    )
    .set(Math.max(0, ms) / 1000);
}

function recordUnitsReported(target: 'stripe' | 'lago', rows: { quantity: unknown }[]): void {
  if (rows.length === 0) return;
  const meter = activityMeter();
  meter
    ?.createCounter('billing_usage_units_reported', undefined, 'Usage units reported for billing, by system.')
    .add(
      rows.reduce((n, r) => n + Number(r.quantity), 0),
      { target },
    );
  meter
    ?.createCounter('billing_usage_rollups_reported', undefined, 'Usage rollups reported, by system.')
    .add(rows.length, { target });
}

export function createUsageActivities(deps: UsageActivityDeps) {
  const now = deps.now ?? Date.now;

  /**
   * Folds unreported events of closed windows into usage_rollups, all in one transaction: one row per
   * customer, type, rate card line, billing period and window (domain/rate-card.ts lineFor picks the line
   * by the event's type, BYOK flag and metadata), with its stable identifier, and links the events to it.
   */
  async function rollupUsage(input: { windowSeconds: number; maxEvents?: number }): Promise<RollupResult> {
    const windowMs = input.windowSeconds * 1000;
    const maxEvents = input.maxEvents ?? 50_000;
    const closedBefore = windowStartOf(now(), windowMs);
    return deps.orm.em.fork().transactional(async (em) => {
      const sql = sqlFor(em);
      const events = await sql.run<EventRow>(
        // What prepaid credits paid is in the ledger already: Stripe and Lago are told only the rest.
        `select id, customer_id, type, quantity - prepaid as quantity, occurred_at, metadata, byok from usage_events
         where rollup_id is null and occurred_at < ? order by occurred_at limit ?`,
        [sql.date(new Date(closedBefore)), maxEvents],
      );
      recordRollupLag(events[0] ? now() - readDate(events[0].occurred_at).getTime() : 0);
      if (events.length === 0) return { rollups: 0, events: 0, more: false };

      const contexts = await ratingContexts(
        sql,
        events.map((e) => e.customer_id),
      );
      const groups = new Map<string, RollupGroup>();
      const unpriced: string[] = [];
      for (const e of events) {
        const ctx = contexts.get(e.customer_id) ?? NO_PLAN_RATING;
        const line = lineFor(ctx.lines, {
          type: e.type,
          byok: readBool(e.byok),
          metadata: readJsonObject(e.metadata),
        });
        // BYOK usage whose plan no longer prices it (changed since it was stored) is free, as any BYOK usage.
        if (!line) {
          unpriced.push(e.id);
          continue;
        }
        const at = readDate(e.occurred_at);
        const start = windowStartOf(at.getTime(), windowMs);
        const periodStart = periodHolding(at, ctx.current).start;
        const key = lineKey(line);
        const groupKey = `${e.customer_id}|${e.type}|${key}|${periodStart.getTime()}|${start}`;
        let g = groups.get(groupKey);
        if (!g) {
          g = { customerId: e.customer_id, type: e.type, lineKey: key, periodStart, start, qty: 0, ids: [] };
          groups.set(groupKey, g);
        }
        g.qty += Number(e.quantity);
        g.ids.push(e.id);
      }
      await linkEvents(sql, BYOK_ROLLUP_MARK, unpriced);
      if (groups.size === 0) return { rollups: 0, events: events.length, more: events.length === maxEvents };

      // Late events for a window that already has a rollup get a further rollup with the next sequence.
      const starts = [...groups.values()].map((g) => g.start);
      const existing = await sql.run<{
        customer_id: string;
        type: string;
        line_key: string;
        window_start: unknown;
        n: number;
      }>(
        `select customer_id, type, line_key, window_start, count(*) as n from usage_rollups
         where window_start >= ? and window_start <= ? group by customer_id, type, line_key, window_start`,
        [sql.date(new Date(Math.min(...starts))), sql.date(new Date(Math.max(...starts)))],
      );
      const seqs = new Map(
        existing.map((r) => [
          `${r.customer_id}|${r.type}|${r.line_key}|${readDate(r.window_start).getTime()}`,
          Number(r.n),
        ]),
      );

      const created = sql.date(new Date(now()));
      const rows = [...groups.values()].map((g) => {
        const seqKey = `${g.customerId}|${g.type}|${g.lineKey}|${g.start}`;
        const seq = (seqs.get(seqKey) ?? 0) + 1;
        seqs.set(seqKey, seq);
        return {
          id: newId('urol'),
          g,
          identifier: rollupIdentifier(g.customerId, identifiedType(g), g.start, seq),
        };
      });
      for (let i = 0; i < rows.length; i += 400) {
        const chunk = rows.slice(i, i + 400);
        await sql.run(
          `insert into usage_rollups (id, customer_id, type, line_key, period_start, window_start, window_end, quantity,
             identifier, created_at, stripe_reported_at, lago_reported_at)
           values ${placeholders(chunk.length, 12)}`,
          chunk.flatMap((r) => [
            r.id,
            r.g.customerId,
            r.g.type,
            r.g.lineKey,
            sql.date(r.g.periodStart),
            sql.date(new Date(r.g.start)),
            sql.date(new Date(r.g.start + windowMs)),
            r.g.qty,
            r.identifier,
            created,
            // A window wholly paid by prepaid credits bills nothing: there is nothing to report.
            r.g.qty === 0 ? created : null,
            r.g.qty === 0 ? created : null,
          ]),
        );
      }
      for (const r of rows) await linkEvents(sql, r.id, r.g.ids);
      return { rollups: rows.length, events: events.length, more: events.length === maxEvents };
    });
  }

  async function markReported(column: 'stripe_reported_at' | 'lago_reported_at', ids: string[]) {
    if (ids.length === 0) return;
    const em = deps.orm.em.fork();
    const sql = sqlFor(em);
    await sql.run(`update usage_rollups set ${column} = ? where id in (${ids.map(() => '?').join(', ')})`, [
      sql.date(new Date(now())),
      ...ids,
    ]);
  }

  /**
   * Tells Stripe each customer's rated usage cost for every billing period with unreported rollups: one
   * meter event carrying the period's cost so far in cents (domain/rate-card.ts rateUsage over all its
   * rollups), which the `last` meter bills, then marks the rollups. The value is absolute, so a crash
   * before the mark re-sends the same identifier (dropped by Stripe) or, after more rollups, a newer
   * total that supersedes it: nothing is billed twice, and a volume tier that lowers the total needs no
   * negative event.
   */
  async function reportRollupsToStripe(input: { limit?: number } = {}): Promise<ReportResult> {
    const stripe = deps.stripe;
    if (!stripe) return { skipped: true, reported: 0, failed: 0, more: false };
    const limit = input.limit ?? 100;
    const sql = sqlFor(deps.orm.em.fork());
    const rows = await sql.run<RollupRow & { stripe_customer_id: string }>(
      `select r.id, r.customer_id, r.type, r.quantity, r.identifier, r.line_key, r.period_start, r.window_start,
              r.window_end, r.created_at, c.stripe_customer_id
       from usage_rollups r join customers c on c.id = r.customer_id
       where r.stripe_reported_at is null and c.stripe_customer_id is not null
       order by r.created_at, r.id limit ?`,
      [limit],
    );
    if (rows.length === 0) return { skipped: false, reported: 0, failed: 0, more: false };
    const contexts = await ratingContexts(
      sql,
      rows.map((r) => r.customer_id),
    );
    // One report per customer and period: the newest rollup of the batch names it.
    const periods = new Map<string, { rows: typeof rows; start: Date; newest: (typeof rows)[number] }>();
    for (const r of rows) {
      const ctx = contexts.get(r.customer_id) ?? NO_PLAN_RATING;
      const start = r.period_start
        ? readDate(r.period_start)
        : periodHolding(readDate(r.window_start), ctx.current).start;
      const key = `${r.customer_id}|${start.getTime()}`;
      const p = periods.get(key) ?? { rows: [], start, newest: r };
      p.rows.push(r);
      p.newest = r;
      periods.set(key, p);
    }
    const done: string[] = [];
    const reported: typeof rows = [];
    let failed = 0;
    const nowS = Math.floor(now() / 1000);
    for (const p of periods.values()) {
      const customerId = p.newest.customer_id;
      const ctx = contexts.get(customerId) ?? NO_PLAN_RATING;
      const totals = await sql.run<{ line_key: string; n: unknown }>(
        `select line_key, sum(quantity) as n from usage_rollups where customer_id = ? and period_start = ?
         group by line_key`,
        [customerId, sql.date(p.start)],
      );
      const cost = rateUsage(ctx.lines, new Map(totals.map((t) => [t.line_key, num(t.n)]))).cents;
      const end =
        periodHolding(p.start, ctx.current).end ??
        (sameInstant(p.start, ctx.current?.start) ? ctx.currentEnd : null);
      // Inside the period, never ahead of Stripe's clock, and within the 35 days Stripe takes.
      const last = end ? Math.floor(end.getTime() / 1000) - 1 : nowS;
      const timestamp = Math.max(
        Math.min(last, nowS),
        Math.floor(p.start.getTime() / 1000),
        nowS - STRIPE_MAX_AGE_S,
      );
      try {
        await stripeCall(() =>
          stripe.billing.meterEvents.create({
            event_name: USAGE_METER_EVENT,
            identifier: `cost:${p.newest.id}`,
            timestamp,
            payload: { stripe_customer_id: p.newest.stripe_customer_id, value: String(cost) },
          }),
        );
        done.push(...p.rows.map((r) => r.id));
        reported.push(...p.rows);
      } catch (err) {
        // A refusal that a retry cannot fix must not stop the others; outages are retried by Temporal.
        if (err instanceof ApplicationFailure && err.nonRetryable) {
          failed += p.rows.length;
          deps.logger.warn({ customerId, err: err.message }, 'Stripe refused a usage cost report');
          continue;
        }
        await markReported('stripe_reported_at', done);
        throw err;
      }
    }
    await deps.afterReport?.(
      'stripe',
      rows.map((r) => r.identifier),
    );
    await markReported('stripe_reported_at', done);
    recordUnitsReported('stripe', reported);
    return { skipped: false, reported: done.length, failed, more: rows.length === limit };
  }

  /**
   * Sends unreported rollups to Lago as one batch (transaction_id = the rollup's identifier), then marks
   * them; Lago refuses a transaction_id it already has, and the sender counts that as done.
   */
  async function reportRollupsToLago(input: { limit?: number } = {}): Promise<ReportResult> {
    const send = deps.sendLagoUsageBatch;
    if (!send) return { skipped: true, reported: 0, failed: 0, more: false };
    const limit = input.limit ?? 100;
    const sql = sqlFor(deps.orm.em.fork());
    // The subscription the window belongs to: the newest one started before the window ended. It is
    // Lago's dedupe scope for transaction_id, so it must come out the same on every retry.
    const rows = await sql.run<RollupRow & { subscription_id: string | null }>(
      `select r.id, r.customer_id, r.type, r.quantity, r.identifier, r.line_key, r.period_start, r.window_start,
         r.window_end, (select s.id from subscriptions s where s.customer_id = r.customer_id and s.created_at < r.window_end
          order by s.created_at desc limit 1) as subscription_id
       from usage_rollups r where r.lago_reported_at is null
       order by r.created_at, r.id limit ?`,
      [limit],
    );
    const sendable = rows.filter((r) => r.subscription_id);
    if (sendable.length === 0) return { skipped: false, reported: 0, failed: rows.length, more: false };
    const result = await send(
      sendable.map((r) => ({
        transactionId: r.identifier,
        externalSubscriptionId: r.subscription_id as string,
        code: r.type,
        timestamp: Math.floor(readDate(r.window_end).getTime() / 1000) - 1,
        // The rate card line rides along, so Lago's charge filters can price each line as the engine does.
        properties: { value: r.quantity, line: r.line_key },
      })),
    );
    if (result.skipped) return { skipped: true, reported: 0, failed: 0, more: false };
    await deps.afterReport?.(
      'lago',
      sendable.map((r) => r.identifier),
    );
    await markReported(
      'lago_reported_at',
      sendable.map((r) => r.id),
    );
    recordUnitsReported('lago', sendable);
    return {
      skipped: false,
      reported: sendable.length,
      failed: rows.length - sendable.length,
      more: rows.length === limit,
    };
  }

  return { rollupUsage, reportRollupsToStripe, reportRollupsToLago };
}

export type UsageActivities = ReturnType<typeof createUsageActivities>;

// Events on a customer's own key are stored with this mark and never rolled up or billed.
export { BYOK_ROLLUP_MARK };
