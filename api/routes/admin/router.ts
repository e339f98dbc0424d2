import { defineRoute } from '../../routing/define-route';
import { z } from 'zod';
import { exportAuditLog, getOperations, listAuditLog } from './handlers';
import {
  auditLogExportQuery,
  auditLogQuery,
  auditLogResponse,
  operationsQuery,
  operationsResponse,
} from './schemas';

export const adminRoutes = [
  defineRoute({
    method: 'get',
    path: '/admin/audit-log',
    summary:
      'Every admin write: who, what, before, after, when; newest first, filtered by object, by customer (the ' +
      'customer, their subscriptions, invoices and provider keys), by actor or by action',
    tags: ['admin'],
    access: 'admin',
    query: auditLogQuery,
    errors: { 404: 'No customer with that email' },
    response: auditLogResponse,
    handler: listAuditLog,
  }),
  defineRoute({
    method: 'get',
    path: '/admin/audit-log/export',
    summary:
      'The audit entries the log shows for the same filter, every page, newest first, as CSV (streamed); ' +
      'before and after as JSON; cells that start like a formula are prefixed with a quote',
    tags: ['admin'],
    access: 'admin',
    query: auditLogExportQuery,
    errors: { 404: 'No customer with that email' },
    produces: 'text/csv',
    response: z.string(),
    handler: exportAuditLog,
  }),
  defineRoute({
    method: 'get',
    path: '/admin/operations',
    summary:
      'The renewal run (renewals whose period boundary fell since `since`, default the last 24 hours, at ' +
      'most 7 days: due, invoiced, paid, failed, waiting, and the Stripe events not yet forwarded with the ' +
      "oldest one's age), Stripe events newest first (received, forwarded to which workflows; a page at a " +
      'time), the invoices in dunning and the notification outbox',
    tags: ['admin'],
    access: 'admin',
    query: operationsQuery,
    fields: { since: 'query.since' },
    response: operationsResponse,
    handler: getOperations,
  }),
];
