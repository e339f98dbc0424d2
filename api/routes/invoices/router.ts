import { defineRoute } from '../../routing/define-route';
import { explainInvoice, invoicePdf, listInvoices, upcomingInvoice } from './handlers';
import {
  explainParams,
  explainQuery,
  invoiceExplanationResponse,
  invoicePdfParams,
  invoicesQuery,
  invoicesResponse,
  invoicePdfResponse,
  upcomingInvoiceResponse,
} from './schemas';

const tags = ['billing'];

export const invoiceRoutes = [
  defineRoute({
    method: 'get',
    path: '/billing/invoices',
    summary:
      "The caller's invoices, newest first (from the database mirror). The body is a bare array as before; " +
      'when more remain, the X-Next-Cursor header (and a Link rel="next" header) carries the cursor to pass ' +
      'back as ?cursor= for the next page.',
    tags,
    access: 'viewer',
    query: invoicesQuery,
    errors: { 400: 'Invalid limit or cursor' },
    response: invoicesResponse,
    handler: listInvoices,
  }),
  defineRoute({
    method: 'get',
    path: '/billing/invoices/upcoming',
    rateLimit: 'stripe',
    summary:
      "The caller's next invoice as Stripe would issue it now (its preview; nothing is created): the plan's " +
      'next period, the usage reported so far, pending prorations, the coupon and the tax, line by line',
    tags,
    access: 'viewer',
    errors: { 404: 'No subscription of the caller renews (no_upcoming_invoice)' },
    response: upcomingInvoiceResponse,
    handler: upcomingInvoice,
  }),
  defineRoute({
    method: 'get',
    path: '/billing/invoices/:id/explain',
    rateLimit: 'stripe',
    summary:
      "One of the caller's invoices explained line by line: the plan version and price each line bills, a " +
      "usage line's rating by rate-card line and the events it summed (ids and a checksum), a proration's " +
      "plan change, and each line recomputed with the engine's rules beside what was issued. `?format=csv` " +
      'answers the same as CSV',
    tags,
    access: 'viewer',
    params: explainParams,
    query: explainQuery,
    errors: { 404: "No such invoice among the caller's (another customer's invoice is a 404 too)" },
    response: invoiceExplanationResponse,
    handler: explainInvoice,
  }),
  defineRoute({
    method: 'get',
    path: '/billing/invoice/:stripe_invoice_id/pdf',
    rateLimit: 'pdf',
    summary: "The PDF of one of the caller's invoices, fetched from Stripe by the engine and streamed",
    tags,
    access: 'viewer',
    params: invoicePdfParams,
    errors: {
      404: "No such invoice among the caller's (another customer's invoice is a 404 too)",
      502: 'Stripe did not deliver the PDF',
    },
    produces: 'application/pdf',
    response: invoicePdfResponse,
    handler: invoicePdf,
  }),
];
