import { z } from 'zod';
import { defineRoute } from '../../route';
import { checkReadiness } from './handlers';

export const healthRoutes = [
  defineRoute({
    method: 'get',
    path: '/healthz',
    summary: 'The process is up',
    tags: ['health'],
    access: 'public',
    response: z.object({ status: z.literal('ok') }),
    handler: async () => ({ status: 'ok' as const }),
  }),
  defineRoute({
    method: 'get',
    path: '/readyz',
    summary: 'The database and Temporal are reachable and a worker polls (503 when not)',
    tags: ['health'],
    access: 'public',
    errors: { 503: 'A dependency is unreachable' },
    handler: checkReadiness,
  }),
];
