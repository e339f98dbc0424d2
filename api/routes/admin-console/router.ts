import { defineRoute } from '../../routing/define-route';
import {
  getCustomerInvoices,
  getCustomerKeys,
  getCustomerUpcomingInvoice,
  postCustomerWhatIf,
  getCustomerUsage,
  getDunningRuns,
  getQuotaDenials,
  getRollupStatus,
} from './handlers';
import {
  customerInvoicesQuery,
  customerInvoicesResponse,
  customerKeysResponse,
  customerParams,
  customerUsageResponse,
  dunningRunsResponse,
  quotaDenialsQuery,
  quotaDenialsResponse,
  rollupStatusResponse,
} from './schemas';
import { upcomingInvoiceResponse } from '../invoices/schemas';
import { whatIfBody, whatIfResponse } from './schemas';

const tags = ['admin'];
const noCustomer = { 404: 'No customer with that email' };

/** What the console reads beside the older admin routes: a customer's money, usage and keys; usage health. */
export const adminConsoleRoutes = [
  defineRoute({
    method: 'get',
    path: '/admin/billing/customers/:email/invoices',
    summary:
      "A customer's invoices newest first (a page at a time: pass next_cursor back as ?cursor=), each with " +
      'its charges, what was refunded and credited, and what is left to refund and to credit',
    tags,
    access: 'admin',
    params: customerParams,
    query: customerInvoicesQuery,
    errors: noCustomer,
    response: customerInvoicesResponse,
    handler: getCustomerInvoices,
  }),
  defineRoute({
    method: 'get',
    path: '/admin/billing/customers/:email/invoices/upcoming',
    rateLimit: 'stripe',
    summary:
      "A customer's next invoice as Stripe would issue it now (its preview), line by line, as the customer " +
      'reads it at /billing/invoices/upcoming',
    tags,
    access: 'admin',
    params: customerParams,
    errors: { 404: 'No customer with that email, or no subscription of theirs renews (no_upcoming_invoice)' },
    response: upcomingInvoiceResponse,
    handler: getCustomerUpcomingInvoice,
  }),
  defineRoute({
    method: 'post',
    path: '/admin/billing/customers/:email/invoices/upcoming/what-if',
    rateLimit: 'stripe',
    summary:
      "What if: a customer's next invoice as Stripe would issue it were this usage reported on top of theirs " +
      '(rated as the rollup rates it, credits first), with its coupon and tax; nothing is stored or billed',
    tags,
    access: 'admin',
    params: customerParams,
    body: whatIfBody,
    errors: {
      400: 'An unknown usage type, or units that are not a whole number from 1 to 10,000,000',
      404: 'No customer with that email, or no subscription of theirs renews (no_upcoming_invoice)',
    },
    response: whatIfResponse,
    handler: postCustomerWhatIf,
  }),
  defineRoute({
    method: 'get',
    path: '/admin/billing/customers/:email/usage',
    summary:
      "A customer's usage in their current period: units per day and type, billable and BYOK totals, " +
      'and the included credits, overage and its cost',
    tags,
    access: 'admin',
    params: customerParams,
    errors: noCustomer,
    response: customerUsageResponse,
    handler: getCustomerUsage,
  }),
  defineRoute({
    method: 'get',
    path: '/admin/billing/customers/:email/provider-keys',
    summary: "A customer's stored provider keys as hints (the last characters), never the keys",
    tags,
    access: 'admin',
    params: customerParams,
    errors: noCustomer,
    response: customerKeysResponse,
    handler: getCustomerKeys,
  }),
  defineRoute({
    method: 'get',
    path: '/admin/usage/quota-denials',
    summary:
      'Requests refused because the daily quota was spent, per day of the last ?days= (default 30), on ' +
      'report_usage and on check-access, and per plan',
    tags,
    access: 'admin',
    query: quotaDenialsQuery,
    response: quotaDenialsResponse,
    handler: getQuotaDenials,
  }),
  defineRoute({
    method: 'get',
    path: '/admin/usage/rollup-status',
    summary:
      "The usage rollup's state: the last rollup written, the lag of the oldest event not rolled up, what " +
      "waits for Stripe and Lago, and the rollup workflow's own cycles, last cycle and failures",
    tags,
    access: 'admin',
    response: rollupStatusResponse,
    handler: getRollupStatus,
  }),
  defineRoute({
    method: 'get',
    path: '/admin/dunning-runs',
    summary:
      "The dunning runs in flight (newest 50), each with where it stands by the run's own query: the retry it " +
      'waits for and when, retries made, when access is suspended; reachable: false with why when Temporal ' +
      'does not answer',
    tags,
    access: 'admin',
    response: dunningRunsResponse,
    handler: getDunningRuns,
  }),
];
