import type { EntityManager } from '@mikro-orm/core';
import { BASE_CURRENCY } from '../domain/currency/codes';
import { EngineSetting } from './entities';

export const EXCHANGE_RATES_KEY = 'exchange_rates';

/**
 * The currency revenue is reported in across currencies, and what one unit of each other currency is worth
 * in it. Set by an admin: the engine never fetches rates, so a report is reproducible from its inputs.
 */
export interface ExchangeRates {
  reportingCurrency: string;
  /** Canonical decimal text by currency ("1.08"). */
  rates: Record<string, string>;
  updatedBy: string | null;
  updatedAt: Date | null;
}

export async function readExchangeRates(em: EntityManager): Promise<ExchangeRates> {
  const row = await em.fork().findOne(EngineSetting, { key: EXCHANGE_RATES_KEY });
  const v = (row?.value ?? {}) as { reportingCurrency?: string; rates?: Record<string, string> };
  return {
    reportingCurrency: v.reportingCurrency ?? BASE_CURRENCY,
    rates: v.rates ?? {},
    updatedBy: row?.updatedBy ?? null,
    updatedAt: row?.updatedAt ?? null,
  };
}
