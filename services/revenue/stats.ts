import type { EntityManager } from '@mikro-orm/core';
import { num, sqlFor } from '../../db/raw-sql';
import { mrrFromArrCents } from '../../domain/plan-change';
import { tierFigures, type TierFigures } from './tiers';

/** The billing stats: customers, paying and trialing subscriptions and MRR, in total and per tier. */
export interface BillingStats {
  totalCustomers: number;
  activeSubscriptions: number;
  trialSubscriptions: number;
  /** Rounded once from the exact sum, so it may differ by a cent from the tiers' rounded sum. */
  mrrCents: number;
  tiers: TierFigures[];
  currency: string;
}

/** The number of customers, and paying and trialing subscriptions and MRR in total and per tier. */
export async function billingStats(
  em: EntityManager,
  opts: { now: Date; currency: string },
): Promise<BillingStats> {
  const sql = sqlFor(em);
  const [tiers, [customers]] = await Promise.all([
    tierFigures(sql, opts.currency),
    sql.rows<{ n: unknown }>('select count(*) as n from customers'),
  ]);
  return {
    totalCustomers: num(customers?.n),
    activeSubscriptions: tiers.reduce((s, t) => s + t.paying, 0),
    trialSubscriptions: tiers.reduce((s, t) => s + t.trialing, 0),
    mrrCents: mrrFromArrCents(tiers.reduce((s, t) => s + t.arrCents, 0)),
    tiers,
    currency: opts.currency,
  };
}
