import type { EntityManager } from '@mikro-orm/core';
import { num, readDate, sqlFor } from '../../db/raw-sql';
import { ratingContexts } from '../../db/rating-context';
import { lineKey, type RateLine } from '../../domain/rate-card';
import { rateUsage } from '../../domain/rate-card-rating';
import { monthBounds, monthOf } from '../../domain/revenue-periods';
import { AppError } from '../../domain/errors';

export interface UsageRevenueLine {
  key: string;
  usageType: string;
  match: Record<string, string>;
  byok: boolean;
  /** Units beyond what credits paid, over every customer. */
  units: number;
  /** Of those, what the lines' included units covered. */
  includedUsed: number;
  cents: number;
  /** Customers with units on the line. */
  customers: number;
}

export interface UsageRevenue {
  month: string;
  currency: string;
  lines: UsageRevenueLine[];
  totalCents: number;
}

/**
 * What usage billed, per line of the rate cards (type and model), for the billing periods that started in
 * `month`, in one currency: each customer's period rated as the rollup rates it for Stripe (the same
 * function, the same totals by line), then summed per line over customers. Lines with the same key on
 * different plans are one line here.
 */
export async function usageRevenue(
  em: EntityManager,
  opts: { now: Date; month?: string; currency: string },
): Promise<UsageRevenue> {
  const month = opts.month ?? monthOf(opts.now);
  const bounds = monthBounds(month);
  if (!bounds)
    throw new AppError('invalid', 'validation_failed', 'month: must be YYYY-MM', { field: 'month' });
  const sql = sqlFor(em);
  const rows = await sql.rows<{ customer_id: string; period_start: unknown; line_key: string; n: unknown }>(
    `select customer_id, period_start, line_key, sum(quantity) as n from usage_rollups
      where period_start >= :from and period_start < :to
      group by customer_id, period_start, line_key`,
    { from: sql.date(bounds.start), to: sql.date(bounds.end) },
  );
  const contexts = await ratingContexts(
    sql,
    rows.map((r) => r.customer_id),
  );
  const periods = new Map<string, { customerId: string; units: Map<string, number> }>();
  for (const r of rows) {
    const key = `${r.customer_id}|${readDate(r.period_start).getTime()}`;
    const p = periods.get(key) ?? { customerId: r.customer_id, units: new Map<string, number>() };
    p.units.set(r.line_key, (p.units.get(r.line_key) ?? 0) + num(r.n));
    periods.set(key, p);
  }
  const byKey = new Map<string, UsageRevenueLine & { who: Set<string> }>();
  for (const p of periods.values()) {
    const ctx = contexts.get(p.customerId);
    if (!ctx || ctx.currency !== opts.currency) continue;
    const terms = new Map<string, RateLine>(ctx.lines.map((l) => [lineKey(l), l]));
    for (const rated of rateUsage(ctx.lines, p.units).lines) {
      const line = terms.get(rated.key);
      if (!line) continue;
      const sum = byKey.get(rated.key) ?? {
        key: rated.key,
        usageType: line.usageType,
        match: line.match ?? {},
        byok: line.byok,
        units: 0,
        includedUsed: 0,
        cents: 0,
        customers: 0,
        who: new Set<string>(),
      };
      sum.units += rated.units;
      sum.includedUsed += rated.includedUsed;
      sum.cents += rated.cents;
      if (rated.units > 0) sum.who.add(p.customerId);
      byKey.set(rated.key, sum);
    }
  }
  const lines = [...byKey.values()]
    .map(({ who, ...l }) => ({ ...l, customers: who.size }))
    .sort((a, b) => b.cents - a.cents || a.key.localeCompare(b.key));
  return { month, currency: opts.currency, lines, totalCents: lines.reduce((s, l) => s + l.cents, 0) };
}
