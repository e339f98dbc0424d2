import { defineRoute } from '../../route';
import {
  getCharges,
  getCustomers,
  getOverview,
  getRevenue,
  getRevenueByTier,
  getStats,
  getSubscriptionByEmail,
  getSubscriptions,
  getTimeseries,
  patchSubscription,
} from './handlers';
import {
  chargesQuery,
  customersQuery,
  emailParams,
  revenueQuery,
  statsQuery,
  subscriptionPatchBody,
  subscriptionsQuery,
  timeseriesQuery,
} from './schemas';

const tags = ['admin'];
const pages = 'Cursor-paginated: pass next_cursor back as ?cursor=; total counts every match.';

// Editors read, only admins write. Literal paths come before `/admin/subscriptions/:email`.
export const adminBillingRoutes = [
  defineRoute({
    method: 'get',
    path: '/admin/billing/stats',
    summary:
      'Customers, active and trial subscriptions, MRR (monthly_revenue) and its split by tier; computed ' +
      'figures are served again for up to 15 s (per currency)',
    tags,
    access: 'admin',
    query: statsQuery,
    handler: getStats,
  }),
  defineRoute({
    method: 'get',
    path: '/admin/billing/customers',
    summary: `Customers, newest first by default; search by email. ${pages}`,
    tags,
    access: 'admin',
    query: customersQuery,
    handler: getCustomers,
  }),
  defineRoute({
    method: 'get',
    path: '/admin/billing/subscriptions',
    summary: `Subscriptions, filtered by status (comma-separated), tier or email. ${pages}`,
    tags,
    access: 'admin',
    query: subscriptionsQuery,
    handler: getSubscriptions,
  }),
  defineRoute({
    method: 'get',
    path: '/admin/billing/recent-charges',
    summary: `Charges, newest first. ${pages}`,
    tags,
    access: 'admin',
    query: chargesQuery,
    handler: getCharges,
  }),
  defineRoute({
    method: 'get',
    path: '/admin/revenue',
    summary:
      'MRR, ARR, churn, ARPU and the last 30 days of collected revenue, with net revenue retention and the ' +
      "MRR movements of ?month=YYYY-MM (default: this month); Stripe's definitions, see the README. Computed " +
      'figures are served again for up to 15 s (per currency and month); as_of says when they were computed',
    tags,
    access: 'admin',
    query: revenueQuery,
    handler: getRevenue,
  }),
  defineRoute({
    method: 'get',
    path: '/admin/revenue/timeseries',
    summary:
      'MRR and paying subscriptions at the end of each day or month between from and to (inclusive), and ' +
      'the subscriptions that started (or resumed) and stopped paying in it, from the subscription history',
    tags,
    access: 'admin',
    query: timeseriesQuery,
    handler: getTimeseries,
  }),
  defineRoute({
    method: 'get',
    path: '/admin/subscriptions',
    summary: `Every subscription (as /admin/subscriptions/list). ${pages}`,
    tags,
    access: 'admin',
    query: subscriptionsQuery,
    handler: getSubscriptions,
  }),
  defineRoute({
    method: 'get',
    path: '/admin/subscriptions/list',
    summary: `Every subscription, filtered by status, tier or email. ${pages}`,
    tags,
    access: 'admin',
    query: subscriptionsQuery,
    handler: getSubscriptions,
  }),
  defineRoute({
    method: 'get',
    path: '/admin/subscriptions/analytics/overview',
    summary: 'Subscriptions by status, pending cancellations, MRR, ARR, ARPU and churn',
    tags,
    access: 'admin',
    query: statsQuery,
    handler: getOverview,
  }),
  defineRoute({
    method: 'get',
    path: '/admin/subscriptions/analytics/revenue-by-tier',
    summary: 'Paying and trialing subscriptions, MRR, ARR and share of MRR per tier',
    tags,
    access: 'admin',
    query: statsQuery,
    handler: getRevenueByTier,
  }),
  defineRoute({
    method: 'get',
    path: '/admin/subscriptions/:email',
    summary: "A customer's subscription by email, with their subscription history and recent invoices",
    tags,
    access: 'admin',
    params: emailParams,
    errors: { 404: 'No customer or subscription with that email' },
    handler: getSubscriptionByEmail,
  }),
  defineRoute({
    method: 'patch',
    path: '/admin/subscriptions/:email',
    summary:
      "Change a customer's tier or status (active, paused, canceled) through the subscription's workflow; audited",
    tags,
    access: 'admin',
    params: emailParams,
    body: subscriptionPatchBody,
    errors: {
      402: 'The card was declined for the prorated charge',
      404: 'No customer, live subscription or plan',
      409: 'The subscription is not in a state that allows this',
    },
    handler: patchSubscription,
  }),
];
