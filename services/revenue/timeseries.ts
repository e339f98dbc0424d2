import type { EntityManager } from '@mikro-orm/core';
import { num, sqlFor } from '../../db/raw-sql';
import { mrrFromArrCents } from '../../domain/plan-change';
import type { Period } from '../../domain/revenue-periods';
import { rangePeriods, type RevenueRange } from './range';
import { CURRENT, changes, moneyFlowsByBucket } from './sql';

interface BucketRow {
  b: string;
  d_arr: unknown;
  d_paying: unknown;
  started: unknown;
  stopped: unknown;
  stopped_arr: unknown;
}

/** One period of the timeseries: the book at its end, who started and stopped paying, and its money. */
export interface TimeseriesPoint extends Period {
  mrrCents: number;
  activeSubscriptions: number;
  newSubscriptions: number;
  churnedSubscriptions: number;
  churnedMrrCents: number;
  /** Unrounded: those that stopped paying over those that paid at the start (0 when none did). */
  churnRate: number;
  collectedCents: number;
  refundsCents: number;
  creditNotesCents: number;
  netRevenueCents: number;
}

export type RevenueTimeseries = RevenueRange & { points: TimeseriesPoint[] };

/**
 * MRR and active (paying) subscriptions at the end of each bucket, and the subscriptions that started (or
 * resumed) and stopped paying inside it. The book now, then the changes since the first bucket grouped by
 * bucket: walking back from now, each bucket's end is the next one's end less the next one's changes.
 * Two statements whatever the number of buckets.
 */
export async function revenueTimeseries(em: EntityManager, opts: RevenueRange): Promise<RevenueTimeseries> {
  const list = rangePeriods(opts);
  const sql = sqlFor(em);
  const currency = opts.currency;
  const [[current], grouped, flows] = await Promise.all([
    sql.rows<{ arr: unknown; n: unknown }>(CURRENT, { currency }),
    sql.rows<BucketRow>(
      `select ${sql.bucket('ch.at', opts.interval)} as b, sum(ch.d_arr) as d_arr, sum(ch.d_paying) as d_paying,
         sum(case when ch.d_paying > 0 then 1 else 0 end) as started,
         sum(case when ch.d_paying < 0 then 1 else 0 end) as stopped,
         sum(case when ch.d_paying < 0 then ch.old_arr else 0 end) as stopped_arr
       from ${changes('c.at >= :from')} ch group by 1`,
      { currency, from: sql.date(list[0]!.start) },
    ),
    sql.rows<{ b: string; paid: unknown; refunded: unknown; credited: unknown }>(
      moneyFlowsByBucket((column) => sql.bucket(column, opts.interval)),
      { currency, from: sql.date(list[0]!.start), to: sql.date(list[list.length - 1]!.end) },
    ),
  ]);
  const byLabel = new Map(grouped.map((r) => [r.b, r]));
  const flowsByLabel = new Map(flows.map((r) => [r.b, r]));
  // Labels sort as their periods do; those after the last bucket are the changes between it and now.
  const last = list[list.length - 1]!.period;
  let arr = num(current?.arr);
  let active = num(current?.n);
  for (const r of grouped) {
    if (r.b > last) {
      arr -= num(r.d_arr);
      active -= num(r.d_paying);
    }
  }
  const points: TimeseriesPoint[] = [];
  for (let i = list.length - 1; i >= 0; i--) {
    const b = list[i]!;
    const r = byLabel.get(b.period);
    const f = flowsByLabel.get(b.period);
    const stopped = num(r?.stopped);
    const activeAtStart = active - num(r?.d_paying);
    const collected = num(f?.paid);
    const refunds = num(f?.refunded);
    const creditNotes = num(f?.credited);
    points.push({
      ...b,
      mrrCents: mrrFromArrCents(arr),
      activeSubscriptions: active,
      newSubscriptions: num(r?.started),
      churnedSubscriptions: stopped,
      churnedMrrCents: mrrFromArrCents(num(r?.stopped_arr)),
      churnRate: activeAtStart === 0 ? 0 : stopped / activeAtStart,
      collectedCents: collected,
      refundsCents: refunds,
      creditNotesCents: creditNotes,
      netRevenueCents: collected - refunds - creditNotes,
    });
    arr -= num(r?.d_arr);
    active = activeAtStart;
  }
  points.reverse();
  return { interval: opts.interval, from: opts.from, to: opts.to, currency, points };
}
