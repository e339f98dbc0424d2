import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createLogger } from '../../config/logger';
import { Customer } from '../../db/entities';
import { createWorker } from '../../worker/create-worker';
import { workflowIds } from '../../workflows/ids';
import { startTestApi, type TestApi } from '../helpers/api';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { openTestDatabase } from '../helpers/db';
import { startDevServer, TEST_NAMESPACE, workflowBundle } from '../helpers/temporal';

const CREATE = '/api/v1/stripe/create_customer';

/**
 * A sign-in (and a checkout, a card added) makes sure the caller has a customer record. When the record
 * already holds what the caller's identity says, it is the answer: no onboarding run; when the identity
 * changes something, the onboarding workflow writes it, as before.
 */
describe.each(['sqlite', 'postgresql'] as const)('a customer who signs in again (%s)', (dialect) => {
  let env: TestWorkflowEnvironment;
  let idp: TestIdp;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let worker: Worker;
  let running: Promise<void>;
  let api: TestApi;
  const taskQueue = `onboarding-again-${dialect}`;

  beforeAll(async () => {
    [env, idp, db] = await Promise.all([startDevServer(), startTestIdp(), openTestDatabase(dialect)]);
    worker = await createWorker({
      connection: env.nativeConnection,
      namespace: TEST_NAMESPACE,
      taskQueue,
      deps: { orm: db.orm, logger: createLogger('silent', 'test') },
      workflowBundle: workflowBundle(),
    });
    running = worker.run();
    api = await startTestApi({
      orm: db.orm,
      temporal: env.client,
      env: { TEMPORAL_TASK_QUEUE: taskQueue, OIDC_ISSUER: idp.issuer, OIDC_JWKS_URL: idp.jwksUrl },
    });
  });
  afterAll(async () => {
    await api?.stop();
    worker?.shutdown();
    await running;
    await Promise.all([db?.close(), idp?.stop(), env?.teardown()]);
  });

  const lastRun = async (sub: string) =>
    (await env.client.workflow.getHandle(workflowIds.customer(sub)).describe()).runId;

  it('answers from the record when nothing changes, and runs onboarding when something does', async () => {
    const sub = `again-${dialect}`;
    const email = `${sub}@example.com`;
    const token = await idp.token({ sub, email, roles: ['viewer'] });

    const first = await api.request('POST', CREATE, { token, body: { name: 'Zoë' } });
    expect({ status: first.status, created: first.body.created }).toEqual({ status: 200, created: true });
    const firstRun = await lastRun(sub);

    const again = await api.request('POST', CREATE, { token, body: { name: 'Zoë' } });
    expect(again.body).toEqual({ ...first.body, created: false });
    expect(await lastRun(sub)).toBe(firstRun);

    const renamed = await api.request('POST', CREATE, { token, body: { name: 'Zoë Ödegaard' } });
    expect({ status: renamed.status, id: renamed.body.customer_id }).toEqual({
      status: 200,
      id: first.body.customer_id,
    });
    expect(await lastRun(sub)).not.toBe(firstRun);
    const row = await db.orm.em.fork().findOneOrFail(Customer, { userId: sub });
    expect({ name: row.name, roles: row.roles }).toEqual({ name: 'Zoë Ödegaard', roles: ['viewer'] });

    // New roles in the token are written too, by a run of their own.
    const promoted = await idp.token({ sub, email, roles: ['viewer', 'admin'] });
    const renamedRun = await lastRun(sub);
    await api.request('POST', CREATE, { token: promoted, body: { name: 'Zoë Ödegaard' } });
    expect(await lastRun(sub)).not.toBe(renamedRun);
    const promotedRow = await db.orm.em.fork().findOneOrFail(Customer, { userId: sub });
    expect(promotedRow.roles).toEqual(['viewer', 'admin']);
  });
});
