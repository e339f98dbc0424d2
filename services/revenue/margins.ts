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
import { marginReport, ratedPeriods, usageRevenueByModel } from '../../domain/model-costs/margins';
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

  const rated = ratedPeriods(
    rolled.filter((r) => inCurrency(r.customerId)),
    (id) => contexts.get(id)?.lines ?? null,
  );
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
