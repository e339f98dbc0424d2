import type { EntityManager } from '@mikro-orm/core';
import { convertCents, parseRate } from '../../domain/currency/exchange-rates';
import { readExchangeRates } from './exchange-rates';
import { revenueSummary } from './summary';
import { cached } from './cache';
import { sqlFor } from '../../db/raw-sql';
import { monthOf } from '../../domain/revenue-periods';

export interface CurrencyFigures {
  currency: string;
  /** What one unit is worth in the reporting currency; null when no rate is set (left out of the total). */
  rate: string | null;
  mrrCents: number;
  arrCents: number;
  /** The month's invoices paid less refunds and credit notes, tax excluded. */
  netRevenueCents: number;
  converted: { mrrCents: number; arrCents: number; netRevenueCents: number } | null;
}

export interface RevenueReport {
  month: string;
  reportingCurrency: string;
  byCurrency: CurrencyFigures[];
  /** The sum of every currency that has a rate, in the reporting currency. */
  total: { mrrCents: number; arrCents: number; netRevenueCents: number };
  /** Currencies in the book without a rate: their figures are not in the total. */
  missingRates: string[];
  asOf: Date;
}

/**
 * The book's figures in each currency it holds, and their sum in the reporting currency at the rates an
 * admin set. Each currency's figure is converted once and rounded to the cent (half away from zero), then
 * summed, so a currency's line and its share of the total agree.
 */
export async function revenueReport(
  em: EntityManager,
  opts: { now: Date; month?: string },
): Promise<RevenueReport> {
  const { reportingCurrency, rates } = await readExchangeRates(em);
  const currencies = (
    await sqlFor(em).rows<{ currency: string }>(
      'select distinct currency from subscriptions order by currency',
    )
  ).map((r) => r.currency);
  const byCurrency: CurrencyFigures[] = [];
  const total = { mrrCents: 0, arrCents: 0, netRevenueCents: 0 };
  const missingRates: string[] = [];
  const month = opts.month ?? monthOf(opts.now);
  for (const currency of currencies) {
    // Each currency's figures are served again for a few seconds, as the Revenue page's are; the rates
    // are applied after, so a new rate shows at once.
    const s = await cached(em, `report-summary:${currency}:${month}`, () =>
      revenueSummary(em, { now: opts.now, month, currency }),
    );
    const rateTextOf = currency === reportingCurrency ? '1' : (rates[currency] ?? null);
    const scaled = rateTextOf === null ? null : parseRate(rateTextOf);
    const own = { mrrCents: s.mrrCents, arrCents: s.arrCents, netRevenueCents: s.collected.netCents };
    const converted = scaled
      ? {
          mrrCents: convertCents(own.mrrCents, scaled),
          arrCents: convertCents(own.arrCents, scaled),
          netRevenueCents: convertCents(own.netRevenueCents, scaled),
        }
      : null;
    if (converted) {
      total.mrrCents += converted.mrrCents;
      total.arrCents += converted.arrCents;
      total.netRevenueCents += converted.netRevenueCents;
    } else missingRates.push(currency);
    byCurrency.push({ currency, rate: rateTextOf, ...own, converted });
  }
  return { month, reportingCurrency, byCurrency, total, missingRates, asOf: opts.now };
}
