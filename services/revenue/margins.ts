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
import { conversion } from '../../domain/currency/exchange-rates';
import { AppError, conflict } from '../../domain/errors';
import { costUsage } from '../../domain/model-costs/costs';
import {
  convertedMarginInputs,
  marginReport,
  ratedPeriods,
  usageRevenueByModel,
} from '../../domain/model-costs/margins';
import { monthBounds, monthOf } from '../../domain/revenue-periods';
import { COST_CURRENCY } from '../../domain/model-costs/catalogue';
import { readExchangeRates } from '../../db/exchange-rates';

/**
 * A month's revenue, cost and margin per model, plan and customer, in the revenue reports' currency: costs
 * (in the catalogue's) and each customer's billing (in theirs) converted at the admin's exchange rates;
 * customers whose currency has no rate are left out and counted. Costs: the usage that happened in the
 * month, at the rate of each event's day. A model's revenue: what its usage was billed for the billing
 * periods that began in the month, rated as the rollup rates it for Stripe. A customer's: their invoices
 * issued in the month, net of discounts and tax.
 */
export async function monthMargins(em: EntityManager, opts: { now: Date; month?: string }) {
  const month = opts.month ?? monthOf(opts.now);
  const bounds = monthBounds(month);
  if (!bounds)
    throw new AppError('invalid', 'validation_failed', 'month: must be YYYY-MM', { field: 'month' });
  const sql = sqlFor(em);
  const [groups, rolled, invoiced, rates, exchange] = await Promise.all([
    usageCostGroups(sql, bounds.start, bounds.end),
    rolledUnitsByModel(sql, bounds.start, bounds.end),
    invoicedByCustomer(sql, bounds.start, bounds.end),
    allModelRates(em),
    readExchangeRates(em),
  ]);
  const currency = exchange.reportingCurrency;
  const costConversion = conversion(exchange, COST_CURRENCY, currency);
  if (!costConversion)
    throw conflict(
      'exchange_rate_missing',
      `Model costs are in ${COST_CURRENCY.toUpperCase()}: set its rate into ${currency.toUpperCase()} with the exchange rates`,
      { field: `rates.${COST_CURRENCY}` },
    );
  const ids = [
    ...groups.map((g) => g.customerId),
    ...rolled.map((r) => r.customerId),
    ...invoiced.map((i) => i.customerId),
  ];
  const [customers, contexts] = await Promise.all([customerPlans(sql, ids), ratingContexts(sql, ids)]);
  const inputs = convertedMarginInputs({
    costs: costUsage(groups, rates),
    usageRevenue: usageRevenueByModel(ratedPeriods(rolled, (id) => contexts.get(id)?.lines ?? null)),
    invoiced,
    currencyOf: (id) => customers.get(id)?.currency ?? COST_CURRENCY,
    costConversion,
    into: (from) => conversion(exchange, from, currency),
  });
  const report = marginReport({ ...inputs, customers });
  return {
    month,
    currency,
    otherCurrencyCustomers: inputs.leftOut.size,
    missingRates: inputs.missingRates,
    ...report,
  };
}
