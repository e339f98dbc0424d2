import { ApplicationFailure } from '@temporalio/common';
import { newId } from '../../db/ids';
import { BYOK_ROLLUP_MARK, rollupIdentifier, windowStartOf } from '../../domain/usage';
import type { ActivityDeps } from '../deps';
import type { LagoSkipped, LagoUsageEvent, LagoUsageSent } from '../lago';
import { USAGE_METER_EVENT } from '../../integrations/stripe/catalog-sync';
import { stripeCall } from '../stripe/errors';
import { placeholders, readDate, sqlFor } from '../../db/raw-sql';
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
}

interface RollupRow {
  id: string;
  customer_id: string;
  type: string;
  quantity: number;
  identifier: string;
  window_start: unknown;
  window_end: unknown;
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
   * Folds unreported events of closed windows into usage_rollups (one row per customer, type and window,
   * with its stable identifier) and links the events to it, all in one transaction.
   */
  async function rollupUsage(input: { windowSeconds: number; maxEvents?: number }): Promise<RollupResult> {
    const windowMs = input.windowSeconds * 1000;
    const maxEvents = input.maxEvents ?? 50_000;
    const closedBefore = windowStartOf(now(), windowMs);
    return deps.orm.em.fork().transactional(async (em) => {
      const sql = sqlFor(em);
      const events = await sql.run<EventRow>(
        // What prepaid credits paid is in the ledger already: Stripe and Lago are told only the rest.
        `select id, customer_id, type, quantity - prepaid as quantity, occurred_at from usage_events
         where rollup_id is null and occurred_at < ? order by occurred_at limit ?`,
        [sql.date(new Date(closedBefore)), maxEvents],
      );
      recordRollupLag(events[0] ? now() - readDate(events[0].occurred_at).getTime() : 0);
      if (events.length === 0) return { rollups: 0, events: 0, more: false };

      const groups = new Map<
        string,
        { customerId: string; type: string; start: number; qty: number; ids: string[] }
      >();
      for (const e of events) {
        const start = windowStartOf(readDate(e.occurred_at).getTime(), windowMs);
        const key = `${e.customer_id}|${e.type}|${start}`;
        const g = groups.get(key) ?? { customerId: e.customer_id, type: e.type, start, qty: 0, ids: [] };
        g.qty += Number(e.quantity);
        g.ids.push(e.id);
        groups.set(key, g);
      }

      // Late events for a window that already has a rollup get a further rollup with the next sequence.
      const starts = [...groups.values()].map((g) => g.start);
      const existing = await sql.run<{ customer_id: string; type: string; window_start: unknown; n: number }>(
        `select customer_id, type, window_start, count(*) as n from usage_rollups
         where window_start >= ? and window_start <= ? group by customer_id, type, window_start`,
        [sql.date(new Date(Math.min(...starts))), sql.date(new Date(Math.max(...starts)))],
      );
      const seqs = new Map(
        existing.map((r) => [
          `${r.customer_id}|${r.type}|${readDate(r.window_start).getTime()}`,
          Number(r.n),
        ]),
      );

      const created = sql.date(new Date(now()));
      const list = [...groups.entries()];
      const rows = list.map(([key, g]) => ({
        id: newId('urol'),
        g,
        identifier: rollupIdentifier(g.customerId, g.type, g.start, (seqs.get(key) ?? 0) + 1),
      }));
      for (let i = 0; i < rows.length; i += 500) {
        const chunk = rows.slice(i, i + 500);
        await sql.run(
          `insert into usage_rollups (id, customer_id, type, window_start, window_end, quantity, identifier, created_at,
             stripe_reported_at, lago_reported_at)
           values ${placeholders(chunk.length, 10)}`,
          chunk.flatMap((r) => [
            r.id,
            r.g.customerId,
            r.g.type,
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
      for (const r of rows) {
        for (let i = 0; i < r.g.ids.length; i += ID_CHUNK) {
          const ids = r.g.ids.slice(i, i + ID_CHUNK);
          await sql.run(
            `update usage_events set rollup_id = ? where id in (${ids.map(() => '?').join(', ')})`,
            [r.id, ...ids],
          );
        }
      }
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
   * Sends unreported rollups to the Stripe usage meter, one meter event each under the rollup's
   * identifier, then marks them. A crash before the mark re-sends the same identifiers, which Stripe
   * drops, so nothing is billed twice.
   */
  async function reportRollupsToStripe(input: { limit?: number } = {}): Promise<ReportResult> {
    const stripe = deps.stripe;
    if (!stripe) return { skipped: true, reported: 0, failed: 0, more: false };
    const limit = input.limit ?? 100;
    const sql = sqlFor(deps.orm.em.fork());
    const rows = await sql.run<RollupRow & { stripe_customer_id: string }>(
      `select r.id, r.customer_id, r.type, r.quantity, r.identifier, r.window_start, r.window_end, c.stripe_customer_id
       from usage_rollups r join customers c on c.id = r.customer_id
       where r.stripe_reported_at is null and c.stripe_customer_id is not null
       order by r.created_at, r.id limit ?`,
      [limit],
    );
    const done: string[] = [];
    let failed = 0;
    const nowS = Math.floor(now() / 1000);
    for (const r of rows) {
      // The last second of the window: inside the window and never ahead of Stripe's clock.
      const end = Math.floor(readDate(r.window_end).getTime() / 1000) - 1;
      const timestamp = Math.max(Math.min(end, nowS), nowS - STRIPE_MAX_AGE_S);
      try {
        await stripeCall(() =>
          stripe.billing.meterEvents.create({
            event_name: USAGE_METER_EVENT,
            identifier: r.identifier,
            timestamp,
            payload: { stripe_customer_id: r.stripe_customer_id, value: String(r.quantity) },
          }),
        );
        done.push(r.id);
      } catch (err) {
        // A refusal that a retry cannot fix must not stop the others; outages are retried by Temporal.
        if (err instanceof ApplicationFailure && err.nonRetryable) {
          failed++;
          deps.logger.warn({ identifier: r.identifier, err: err.message }, 'Stripe refused a usage rollup');
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
    recordUnitsReported(
      'stripe',
      rows.filter((r) => done.includes(r.id)),
    );
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
      `select r.id, r.customer_id, r.type, r.quantity, r.identifier, r.window_start, r.window_end,
         (select s.id from subscriptions s where s.customer_id = r.customer_id and s.created_at < r.window_end
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
        properties: { value: r.quantity },
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
