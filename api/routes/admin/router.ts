import { defineRoute } from '../../routing/define-route';
import { getOperations, listAuditLog } from './handlers';
import { auditLogQuery, auditLogResponse, operationsQuery, operationsResponse } from './schemas';

export const adminRoutes = [
  defineRoute({
    method: 'get',
    path: '/admin/audit-log',
    summary: 'Every admin write: who, what, before, after, when',
    tags: ['admin'],
    access: 'admin',
    query: auditLogQuery,
    response: auditLogResponse,
    handler: listAuditLog,
  }),
  defineRoute({
    method: 'get',
    path: '/admin/operations',
    summary:
      "Stripe's webhook events newest first (received, forwarded to which workflows; a page at a time), the invoices in dunning and the notification outbox",
    tags: ['admin'],
    access: 'admin',
    query: operationsQuery,
    response: operationsResponse,
    handler: getOperations,
  }),
];
