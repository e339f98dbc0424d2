import type { HandlerInput } from '../../routing/define-route';
import { clockOf } from '../../../domain/clock';
import { CURRENCIES } from '../../../domain/currency/codes';
import {
  readExchangeRates,
  setExchangeRates,
  type ExchangeRates,
} from '../../../services/revenue/exchange-rates';
import { revenueReport, type RevenueReport } from '../../../services/revenue/reporting';
import type { exchangeRatesBody, reportQuery } from './schemas';

type Admin<Q, B> = HandlerInput<undefined, Q, B, 'admin'>;

const ratesDto = (r: ExchangeRates) => ({
  reporting_currency: r.reportingCurrency,
  rates: r.rates,
  currencies: [...CURRENCIES],
  updated_by: r.updatedBy,
  updated_at: r.updatedAt?.toISOString() ?? null,
});

const figuresDto = (f: { mrrCents: number; arrCents: number; netRevenueCents: number }) => ({
  mrr_cents: f.mrrCents,
  arr_cents: f.arrCents,
  net_revenue_cents: f.netRevenueCents,
});

const reportDto = (r: RevenueReport) => ({
  month: r.month,
  reporting_currency: r.reportingCurrency,
  by_currency: r.byCurrency.map((c) => ({
    currency: c.currency,
    rate: c.rate,
    ...figuresDto(c),
    converted: c.converted && figuresDto(c.converted),
  })),
  total: figuresDto(r.total),
  missing_rates: r.missingRates,
  as_of: r.asOf.toISOString(),
});

export const getExchangeRates = async ({ deps }: Admin<undefined, undefined>) =>
  ratesDto(await readExchangeRates(deps.orm.em));

export const putExchangeRates = async ({
  deps,
  identity,
  body,
}: Admin<undefined, typeof exchangeRatesBody>) =>
  ratesDto(
    await setExchangeRates(
      deps.orm.em.fork(),
      identity,
      {
        reportingCurrency: body.reporting_currency,
        rates: body.rates,
      },
      clockOf(deps).now(),
    ),
  );

export const getRevenueReport = async ({ deps, query }: Admin<typeof reportQuery, undefined>) =>
  reportDto(await revenueReport(deps.orm.em.fork(), { now: clockOf(deps).now(), month: query.month }));
