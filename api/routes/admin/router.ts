import { defineRoute } from '../../routing/define-route';
import { listAuditLog } from './handlers';
import { auditLogQuery, auditLogResponse } from './schemas';

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
];
