import type { EntityManager } from '@mikro-orm/core';
import { num, sqlFor, type Sql } from '../../db/raw-sql';
import { mrrFromArrCents } from '../../domain/plan-change';
import { PAYING } from './sql';

interface TierRow {
  tier: string;
  paying: unknown;
  trialing: unknown;
  arr: unknown;
}

/** One tier's paying and trialing subscriptions and the revenue of the paying ones. */
export interface TierFigures {
  tier: string;
  paying: number;
  trialing: number;
  arrCents: number;
  mrrCents: number;
}

/**
 * Per tier, sorted by tier: paying subscriptions and their MRR now, and trialing ones (which add no MRR).
 * Grouped on `tier || ''` rather than the column: on the column SQLite walks the `tier` index and fetches
 * every row out of order to skip a sort; a straight scan of the table and a sort of the rows kept is faster.
 */
export async function tierFigures(sql: Sql, currency: string): Promise<TierFigures[]> {
  const rows = await sql.rows<TierRow>(
    `select s.tier || '' as tier,
       sum(case when s.status in ${PAYING} then 1 else 0 end) as paying,
       sum(case when s.status = 'trialing' then 1 else 0 end) as trialing,
       coalesce(sum(s.arr_cents), 0) as arr
     from subscriptions s
     where s.currency = :currency and (s.status in ${PAYING} or s.status = 'trialing')
     group by 1`,
    { currency },
  );
  return rows
    .map((r) => {
      const arrCents = num(r.arr);
      return {
        tier: r.tier,
        paying: num(r.paying),
        trialing: num(r.trialing),
        arrCents,
        mrrCents: mrrFromArrCents(arrCents),
      };
    })
    .sort((a, b) => a.tier.localeCompare(b.tier));
}

/** Revenue by tier, with each tier's share of the total and the total MRR. */
export interface RevenueByTier {
  tiers: (TierFigures & {
    /** Unrounded share of the total ARR (0 when there is none). */ shareOfMrr: number;
  })[];
  totalMrrCents: number;
  currency: string;
}

/** Paying and trialing subscriptions, MRR and ARR per tier, and each tier's share of MRR. */
export async function revenueByTier(
  em: EntityManager,
  opts: { now: Date; currency: string },
): Promise<RevenueByTier> {
  const byTier = await tierFigures(sqlFor(em), opts.currency);
  const totalArr = byTier.reduce((s, t) => s + t.arrCents, 0);
  return {
    tiers: byTier.map((t) => ({ ...t, shareOfMrr: totalArr === 0 ? 0 : t.arrCents / totalArr })),
    totalMrrCents: mrrFromArrCents(totalArr),
    currency: opts.currency,
  };
}
