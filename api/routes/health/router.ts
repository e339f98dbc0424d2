import { z } from 'zod';
import { defineRoute } from '../../routing/define-route';
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
    // The same body comes with the 503, naming the check that failed.
    response: z.object({
      status: z.enum(['ready', 'not_ready']),
      checks: z.object({
        /** `ok`, or why not (the first line of the error). */
        database: z.string(),
        temporal: z.string(),
        worker: z.string(),
      }),
    }),
    handler: checkReadiness,
  }),
];
