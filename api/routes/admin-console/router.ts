import { defineRoute } from '../../routing/define-route';
import { getCustomerInvoices, getCustomerKeys, getCustomerUsage } from './handlers';
import {
  customerInvoicesQuery,
  customerInvoicesResponse,
  customerKeysResponse,
  customerParams,
  customerUsageResponse,
} from './schemas';

const tags = ['admin'];
const noCustomer = { 404: 'No customer with that email' };

/** What the console's customer page reads beside the subscription: money, usage, keys. */
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
];
