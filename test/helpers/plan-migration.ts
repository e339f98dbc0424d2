import type { TestResponse } from './api';
import { waitUntil } from './eventually';

type Call = (method: string, path: string, body?: unknown) => Promise<TestResponse>;

/**
 * Starts a plan's migration as an admin (`call` adds the token and the `/api/v1` prefix) and answers its
 * report once the run has completed, with every subscription on one page.
 */
export async function migrateAndWait(call: Call, planCode: string, body: { when?: 'now' | 'period_end' }) {
  const started = await call('POST', `/subscriptions/plans/${planCode}/migrate`, body);
  if (started.status !== 202) throw new Error(`migrate: ${started.status} ${JSON.stringify(started.body)}`);
  const done = await waitUntil(
    () => call('GET', `/admin/plan-migrations/${started.body.migration_id}?limit=500`),
    (r) => r.body?.status === 'completed',
    `migration ${started.body.migration_id} completed`,
    60_000,
    200,
  );
  return done.body;
}
