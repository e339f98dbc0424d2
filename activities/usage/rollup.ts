import { createHash } from 'node:crypto';
import { newId } from '../../db/ids';
import { readBool, readDate, readJsonObject, sqlFor } from '../../db/raw-sql';
import { NO_PLAN_RATING, ratingContexts } from '../../db/rating-context';
import {
  insertEventParts,
  insertRollups,
  linkEventsToRollup,
  rollupsPerWindow,
  unrolledEvents,
} from '../../db/usage-rollups';
import { periodHolding } from '../../domain/billing-cycle';
import { lineKey, POOL_LINE_KEY } from '../../domain/rate-card';
import { pricedParts } from '../../domain/token-parts';
import { BYOK_ROLLUP_MARK, PARTS_ROLLUP_MARK, rollupIdentifier, windowStartOf } from '../../domain/usage';
import { activityMeter } from '../activity-context';
import { usageClock, type UsageActivityDeps } from './deps';

export interface RollupResult {
  rollups: number;
  events: number;
  /** More unreported events were left for the next call (the batch limit was hit). */
  more: boolean;
}

interface RollupGroup {
  customerId: string;
  type: string;
  lineKey: string;
  periodStart: Date;
  start: number;
  qty: number;
  /** Events whose whole quantity it sums. */
  ids: string[];
  /** Token kinds of events priced kind by kind that it sums. */
  parts: { eventId: string; kind: string; units: number }[];
}

/**
 * The type part of a rollup's identifier: the type alone for the pool (as before rate cards), else the
 * type and a short hash of the line, which keeps the identifier within Stripe's and Lago's lengths.
 */
function identifiedType(g: Pick<RollupGroup, 'type' | 'lineKey'>): string {
  if (g.lineKey === POOL_LINE_KEY) return g.type;
  return `${g.type}~${createHash('sha256').update(g.lineKey).digest('hex').slice(0, 12)}`;
}

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

/** The usage rollup workflow's first step: events into rollups. */
export function createRollupActivities(deps: UsageActivityDeps) {
  const clock = usageClock(deps);
  const now = () => clock.now().getTime();

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
      const events = await unrolledEvents(sql, new Date(closedBefore), maxEvents);
      recordRollupLag(events[0] ? now() - readDate(events[0].occurred_at).getTime() : 0);
      if (events.length === 0) return { rollups: 0, events: 0, more: false };

      const contexts = await ratingContexts(
        sql,
        events.map((e) => e.customer_id),
      );
      const groups = new Map<string, RollupGroup>();
      const unpriced: string[] = [];
      const inParts: string[] = [];
      for (const e of events) {
        const ctx = contexts.get(e.customer_id) ?? NO_PLAN_RATING;
        const parts = pricedParts(ctx.lines, {
          type: e.type,
          byok: readBool(e.byok),
          metadata: readJsonObject(e.metadata),
          quantity: Number(e.quantity),
          paidAhead: Number(e.prepaid),
        });
        // BYOK usage whose plan no longer prices it (changed since it was stored) is free, as any BYOK usage.
        if (parts.length === 0) {
          unpriced.push(e.id);
          continue;
        }
        const at = readDate(e.occurred_at);
        const start = windowStartOf(at.getTime(), windowMs);
        const periodStart = periodHolding(at, ctx.current).start;
        if (parts[0]?.kind !== null) inParts.push(e.id);
        for (const part of parts) {
          const key = lineKey(part.line);
          const groupKey = `${e.customer_id}|${e.type}|${key}|${periodStart.getTime()}|${start}`;
          let g = groups.get(groupKey);
          if (!g) {
            g = {
              customerId: e.customer_id,
              type: e.type,
              lineKey: key,
              periodStart,
              start,
              qty: 0,
              ids: [],
              parts: [],
            };
            groups.set(groupKey, g);
          }
          g.qty += part.units;
          if (part.kind === null) g.ids.push(e.id);
          else g.parts.push({ eventId: e.id, kind: part.kind, units: part.units });
        }
      }
      await linkEventsToRollup(sql, BYOK_ROLLUP_MARK, unpriced);
      if (groups.size === 0) return { rollups: 0, events: events.length, more: events.length === maxEvents };

      // Late events for a window that already has a rollup get a further rollup with the next sequence.
      const starts = [...groups.values()].map((g) => g.start);
      const existing = await rollupsPerWindow(
        sql,
        new Date(Math.min(...starts)),
        new Date(Math.max(...starts)),
      );
      const seqs = new Map(
        existing.map((r) => [
          `${r.customer_id}|${r.type}|${r.line_key}|${readDate(r.window_start).getTime()}`,
          Number(r.n),
        ]),
      );

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
      await insertRollups(
        sql,
        rows.map((r) => ({
          id: r.id,
          customerId: r.g.customerId,
          type: r.g.type,
          lineKey: r.g.lineKey,
          periodStart: r.g.periodStart,
          windowStart: new Date(r.g.start),
          windowEnd: new Date(r.g.start + windowMs),
          quantity: r.g.qty,
          identifier: r.identifier,
          // A window wholly paid by prepaid credits bills nothing: there is nothing to report.
          settled: r.g.qty === 0,
        })),
        clock.now(),
      );
      for (const r of rows) await linkEventsToRollup(sql, r.id, r.g.ids);
      await linkEventsToRollup(sql, PARTS_ROLLUP_MARK, inParts);
      await insertEventParts(
        sql,
        rows.flatMap((r) => r.g.parts.map((p) => ({ ...p, rollupId: r.id }))),
      );
      return { rollups: rows.length, events: events.length, more: events.length === maxEvents };
    });
  }

  return { rollupUsage };
}
