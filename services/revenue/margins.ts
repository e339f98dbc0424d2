import type { EntityManager } from '@mikro-orm/core';
import {
  allModelRates,
  customerPlans,
  invoicedByCustomer,
  rolledUnitsByModel,
  usageCostGroups,
} from '../../db/model-costs';
import { sqlFor } from '../../db/raw-sql';
import { ratingContexts } from '../../db/rating-context';
import { AppError } from '../../domain/errors';
import { costUsage } from '../../domain/model-costs/costs';
import {
  marginReport,
  NO_MODEL,
  usageRevenueByModel,
  type RatedPeriod,
} from '../../domain/model-costs/margins';
import { lineKey, POOL_LINE_KEY } from '../../domain/rate-card';
import { rateUsage } from '../../domain/rate-card-rating';
import { monthBounds, monthOf } from '../../domain/revenue-periods';
import { COST_CURRENCY } from '../../domain/model-costs/catalogue';

/**
 * A month's revenue, cost and margin per model, plan and customer, in the catalogue's currency (customers
 * billed in another are left out and counted). Costs: the usage that happened in the month, at the rate of
 * each event's day. A model's revenue: what its usage was billed for the billing periods that began in the
 * month, rated as the rollup rates it for Stripe. A customer's: their invoices issued in the month, net of
 * discounts and tax.
 */
export async function monthMargins(em: EntityManager, opts: { now: Date; month?: string }) {
  const month = opts.month ?? monthOf(opts.now);
  const bounds = monthBounds(month);
  if (!bounds)
    throw new AppError('invalid', 'validation_failed', 'month: must be YYYY-MM', { field: 'month' });
  const sql = sqlFor(em);
  const [groups, rolled, invoiced, rates] = await Promise.all([
    usageCostGroups(sql, bounds.start, bounds.end),
    rolledUnitsByModel(sql, bounds.start, bounds.end),
    invoicedByCustomer(sql, bounds.start, bounds.end, COST_CURRENCY),
    allModelRates(em),
  ]);
  const ids = [...groups.map((g) => g.customerId), ...rolled.map((r) => r.customerId), ...invoiced.keys()];
  const [customers, contexts] = await Promise.all([customerPlans(sql, ids), ratingContexts(sql, ids)]);
  const inCurrency = (id: string) => (customers.get(id)?.currency ?? COST_CURRENCY) === COST_CURRENCY;

  const periods = new Map<string, { customerId: string; units: Map<string, Map<string, number>> }>();
  for (const r of rolled) {
    const ctx = contexts.get(r.customerId);
    if (!ctx || !inCurrency(r.customerId)) continue;
    const key = `${r.customerId}|${r.periodStart.getTime()}`;
    const p = periods.get(key) ?? { customerId: r.customerId, units: new Map() };
    periods.set(key, p);
    // As rateUsage does: units of a line the card no longer has are the pool's.
    const line = ctx.lines.some((l) => lineKey(l) === r.lineKey) ? r.lineKey : POOL_LINE_KEY;
    const byModel = p.units.get(line) ?? new Map<string, number>();
    p.units.set(line, byModel);
    const model = r.model ?? NO_MODEL;
    byModel.set(model, (byModel.get(model) ?? 0) + r.units);
  }
  const rated: RatedPeriod[] = [...periods.values()].map((p) => {
    const ctx = contexts.get(p.customerId)!;
    const totals = new Map([...p.units].map(([k, m]) => [k, [...m.values()].reduce((s, n) => s + n, 0)]));
    return { customerId: p.customerId, lines: rateUsage(ctx.lines, totals).lines, unitsByLine: p.units };
  });
  const report = marginReport({
    costs: costUsage(
      groups.filter((g) => inCurrency(g.customerId)),
      rates,
    ),
    usageRevenue: usageRevenueByModel(rated),
    invoiced,
    customers,
  });
  const otherCurrency = new Set(ids.filter((id) => !inCurrency(id))).size;
  return { month, currency: COST_CURRENCY, otherCurrencyCustomers: otherCurrency, ...report };
}
