import { z } from 'zod';
import { defineRoute } from '../../routing/define-route';
import {
  getCharges,
  getCustomers,
  getMovements,
  getOverview,
  getRevenue,
  getRevenueByTier,
  getStats,
  getSubscriptionByEmail,
  getSubscriptions,
  getTimeseries,
  patchSubscription,
  refundInvoice,
  postCreditNote,
  previewPlanChangeForCustomer,
  exportCustomers,
  explainInvoiceForAdmin,
} from './handlers';
import {
  chargesQuery,
  customersQuery,
  customersExportQuery,
  emailParams,
  movementsQuery,
  movementsResponse,
  revenueQuery,
  statsQuery,
  subscriptionPatchBody,
  subscriptionsQuery,
  timeseriesQuery,
  statsResponse,
  customersResponse,
  subscriptionsResponse,
  chargesResponse,
  revenueResponse,
  timeseriesResponse,
  overviewResponse,
  revenueByTierResponse,
  subscriptionByEmailResponse,
  subscriptionPatchResponse,
  invoiceParams,
  refundBody,
  refundResponse,
  creditNoteBody,
  creditNoteResponse,
  planChangePreviewQuery,
  planChangePreviewResponse,
  adminExplainQuery,
  adminInvoiceExplanationResponse,
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
    response: statsResponse,
    handler: getStats,
  }),
  defineRoute({
    method: 'get',
    path: '/admin/billing/customers',
    summary: `Customers, newest first by default; search by email or a Stripe customer or subscription id (q), filter by the live subscription's tier and status. ${pages}`,
    tags,
    access: 'admin',
    query: customersQuery,
    response: customersResponse,
    handler: getCustomers,
  }),
  defineRoute({
    method: 'get',
    path: '/admin/billing/customers/export',
    summary:
      'The customers the list shows for the same search, filters and sort, every page, as CSV (streamed); cells that start like a formula are prefixed with a quote',
    tags,
    access: 'admin',
    query: customersExportQuery,
    produces: 'text/csv',
    response: z.string(),
    handler: exportCustomers,
  }),
  defineRoute({
    method: 'get',
    path: '/admin/billing/subscriptions',
    summary: `Subscriptions, filtered by status (comma-separated), tier or email. ${pages}`,
    tags,
    access: 'admin',
    query: subscriptionsQuery,
    response: subscriptionsResponse,
    handler: getSubscriptions,
  }),
  defineRoute({
    method: 'get',
    path: '/admin/billing/recent-charges',
    summary: `Charges, newest first. ${pages}`,
    tags,
    access: 'admin',
    query: chargesQuery,
    response: chargesResponse,
    handler: getCharges,
  }),
  defineRoute({
    method: 'get',
    path: '/admin/billing/invoices/:id/explain',
    rateLimit: 'stripe',
    summary:
      "Any invoice explained line by line (by Stripe's in_… id or the engine's inv_…): what the customer's " +
      'explanation says, with the Stripe ids behind each line (line, price, item), the plan version, a usage ' +
      "line's rollups and meter event identifiers, the payment, and the workflows, linked to Stripe's " +
      'dashboard and the Temporal UI. `?format=csv` answers the CSV the customer gets; `?format=zip` a ' +
      "dispute's evidence pack: the explanation as JSON and CSV and every event behind it",
    tags,
    access: 'admin',
    params: invoiceParams,
    query: adminExplainQuery,
    errors: { 404: 'No such invoice' },
    response: adminInvoiceExplanationResponse,
    handler: explainInvoiceForAdmin,
  }),
  defineRoute({
    method: 'post',
    path: '/admin/billing/invoices/:id/refund',
    summary:
      "Refund an invoice's charge, whole when amount_cents is omitted, with an Idempotency-Key header (or " +
      'idempotency_key): a replay with the same key answers the first result and never refunds twice; audited',
    tags,
    access: 'admin',
    params: invoiceParams,
    body: refundBody,
    fields: { amountCents: 'body.amount_cents', invoiceId: 'params.id' },
    errors: {
      400: 'No idempotency key, or header and body keys differ',
      404: 'No such invoice',
      409:
        'refund_exceeds_charge: more than is left to refund; invoice_not_paid: no charge to refund; ' +
        'charge_disputed: a dispute of the charge is open; prepaid_commit_invoice: it paid for a prepaid commit',
    },
    response: refundResponse,
    handler: refundInvoice,
  }),
  defineRoute({
    method: 'post',
    path: '/admin/billing/invoices/:id/credit-notes',
    summary:
      "Issue a credit note on an invoice (a paid one: credit to the customer's balance; an open one: less to " +
      'pay), for what is left when amount_cents is omitted, with an Idempotency-Key header (or ' +
      'idempotency_key): a replay with the same key answers the first result and never credits twice; audited',
    tags,
    access: 'admin',
    params: invoiceParams,
    body: creditNoteBody,
    fields: { amountCents: 'body.amount_cents', invoiceId: 'params.id' },
    errors: {
      400: 'No idempotency key, or header and body keys differ',
      404: 'No such invoice',
      409:
        'credit_exceeds_invoice: more than is left once refunds and credit notes are counted ' +
        '(details.amount_left_cents); invoice_not_creditable: neither open nor paid; prepaid_commit_invoice: it ' +
        'paid for a prepaid commit',
    },
    response: creditNoteResponse,
    handler: postCreditNote,
  }),
  defineRoute({
    method: 'get',
    path: '/admin/revenue',
    summary:
      'MRR, ARR, churn, ARPU and the last 30 days of collected revenue, refunds, credit notes and net revenue, ' +
      'with net revenue retention, the MRR movements and the money collected and given back in ' +
      "?month=YYYY-MM (default: this month); Stripe's definitions, see docs/revenue.md. Computed " +
      'figures are served again for up to 15 s (per currency and month); as_of says when they were computed',
    tags,
    access: 'admin',
    query: revenueQuery,
    fields: { month: 'query.month' },
    response: revenueResponse,
    handler: getRevenue,
  }),
  defineRoute({
    method: 'get',
    path: '/admin/revenue/timeseries',
    summary:
      'MRR and paying subscriptions at the end of each day or month between from and to (inclusive), the ' +
      'subscriptions that started (or resumed) and stopped paying in it, from the subscription history, and ' +
      'the money collected, refunded, credited and net in it',
    tags,
    access: 'admin',
    query: timeseriesQuery,
    fields: { to: 'query.to' },
    response: timeseriesResponse,
    handler: getTimeseries,
  }),
  defineRoute({
    method: 'get',
    path: '/admin/revenue/movements',
    summary:
      'MRR at the start and end of each day or month between from and to (inclusive), and its movements ' +
      'in between per customer (new, expansion, contraction, churned, reactivated: MRR and customers), ' +
      "from the subscription history, by the month's rule of /admin/revenue applied to each period",
    tags,
    access: 'admin',
    query: movementsQuery,
    fields: { to: 'query.to' },
    response: movementsResponse,
    handler: getMovements,
  }),
  defineRoute({
    method: 'get',
    path: '/admin/subscriptions',
    summary: `Every subscription (as /admin/subscriptions/list). ${pages}`,
    tags,
    access: 'admin',
    query: subscriptionsQuery,
    response: subscriptionsResponse,
    handler: getSubscriptions,
  }),
  defineRoute({
    method: 'get',
    path: '/admin/subscriptions/list',
    summary: `Every subscription, filtered by status, tier or email. ${pages}`,
    tags,
    access: 'admin',
    query: subscriptionsQuery,
    response: subscriptionsResponse,
    handler: getSubscriptions,
  }),
  defineRoute({
    method: 'get',
    path: '/admin/subscriptions/analytics/overview',
    summary: 'Subscriptions by status, pending cancellations, MRR, ARR, ARPU and churn',
    tags,
    access: 'admin',
    query: statsQuery,
    response: overviewResponse,
    handler: getOverview,
  }),
  defineRoute({
    method: 'get',
    path: '/admin/subscriptions/analytics/revenue-by-tier',
    summary: 'Paying and trialing subscriptions, MRR, ARR and share of MRR per tier',
    tags,
    access: 'admin',
    query: statsQuery,
    response: revenueByTierResponse,
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
    response: subscriptionByEmailResponse,
    handler: getSubscriptionByEmail,
  }),
  defineRoute({
    method: 'get',
    path: '/admin/subscriptions/:email/plan-change-preview',
    summary:
      "What moving a customer's live subscription to another plan or cycle would cost now, as Stripe will prorate it; nothing is changed",
    tags,
    access: 'admin',
    params: emailParams,
    query: planChangePreviewQuery,
    fields: { tierId: 'query.tier_id', billingCycle: 'query.billing_cycle' },
    errors: {
      404: 'No customer, live subscription or plan',
      409: "The subscription's coupon is not for the new plan (coupon_not_for_plan): remove it first",
      503: 'The plan has no Stripe price yet',
    },
    response: planChangePreviewResponse,
    handler: previewPlanChangeForCustomer,
  }),
  defineRoute({
    method: 'patch',
    path: '/admin/subscriptions/:email',
    summary:
      "Change a customer's tier or status (active, paused, canceled) through the subscription's workflow; " +
      'audited. A retry is the same change: with the same Idempotency-Key header (optional), or without one ' +
      "the same request against the subscription's same state, is answered by the first change's result",
    tags,
    access: 'admin',
    params: emailParams,
    body: subscriptionPatchBody,
    // The plan-price use case names the plan `tierId`; this route has always answered with body.tier_id.
    fields: { tierId: 'body.tier_id', billingCycle: 'body.billing_cycle' },
    errors: {
      400: 'An Idempotency-Key header that is not 1-200 printable ASCII characters',
      402: 'The card was declined for the prorated charge',
      404: 'No customer, live subscription or plan',
      409:
        'The subscription is not in a state that allows this, or its coupon is not for the new plan ' +
        '(coupon_not_for_plan): remove it first',
    },
    response: subscriptionPatchResponse,
    handler: patchSubscription,
  }),
];
