import { defineRoute } from '../../routing/define-route';
import { getExchangeRates, getRevenueReport, putExchangeRates } from './handlers';
import { exchangeRatesBody, exchangeRatesResponse, reportQuery, revenueReportResponse } from './schemas';

const tags = ['admin', 'currencies'];

/** Revenue across currencies, at exchange rates an admin sets (docs/pricing.md). */
export const adminCurrencyRoutes = [
  defineRoute({
    method: 'get',
    path: '/admin/billing/exchange-rates',
    summary: 'The reporting currency and the rates revenue in other currencies is converted at',
    tags,
    access: 'admin',
    response: exchangeRatesResponse,
    handler: getExchangeRates,
  }),
  defineRoute({
    method: 'put',
    path: '/admin/billing/exchange-rates',
    summary: 'Set the reporting currency and the rates into it (no rate is ever fetched); audited',
    tags,
    access: 'admin',
    body: exchangeRatesBody,
    fields: { reportingCurrency: 'body.reporting_currency' },
    errors: {
      400: 'A currency not priced in (currency_not_supported) or a rate that is not a positive decimal (invalid_exchange_rate)',
    },
    response: exchangeRatesResponse,
    handler: putExchangeRates,
  }),
  defineRoute({
    method: 'get',
    path: '/admin/revenue/reporting',
    summary:
      "MRR, ARR and the month's net revenue in each currency of the book, and their sum in the reporting " +
      'currency at the rates set; a currency without a rate is named and left out of the sum',
    tags,
    access: 'admin',
    query: reportQuery,
    fields: { month: 'query.month' },
    response: revenueReportResponse,
    handler: getRevenueReport,
  }),
];
