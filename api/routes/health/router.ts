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
    summary:
      'The database and Temporal are reachable and a worker polls (503 when not); an access lane needs the database alone',
    tags: ['health'],
    access: 'public',
    errors: { 503: 'A dependency is unreachable' },
    // The same body comes with the 503, naming the check that failed.
    response: z.object({
      status: z.enum(['ready', 'not_ready']),
      // Fixed words only: the error behind a failed check is logged, never answered to the public.
      checks: z.object({
        database: z.enum(['ok', 'unavailable', 'timeout']),
        /** `not_needed`: an access lane (API_SERVES=access) answers from the database alone. */
        temporal: z.enum(['ok', 'unavailable', 'timeout', 'not_needed']),
        /** `no pollers`: Temporal answers, but no worker polls the task queue. */
        worker: z.enum(['ok', 'unavailable', 'timeout', 'no pollers', 'not_needed']),
      }),
    }),
    handler: checkReadiness,
  }),
];
