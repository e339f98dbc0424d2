import { WorkflowNotFoundError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { temporal as proto } from '@temporalio/proto';
import { createLogger } from '../../config/logger';
import { Customer } from '../../db/entities';
import { createWorker } from '../../worker/create-worker';
import { customerOnboarding } from '../../workflows';
import { workflowIds } from '../../workflows/ids';
import { startTestApi, type TestApi } from '../helpers/api';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { openTestDatabase } from '../helpers/db';
import { startDevServer, TEST_NAMESPACE, workflowBundle } from '../helpers/temporal';

const { EventType } = proto.api.enums.v1;

describe('a sign-in onboards its customer, on a real Temporal dev server', () => {
  let env: TestWorkflowEnvironment;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let idp: TestIdp;
  let api: TestApi;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = 'onboarding-it';

  beforeAll(async () => {
    [env, db, idp] = await Promise.all([startDevServer(), openTestDatabase('sqlite'), startTestIdp()]);
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
    await Promise.all([env?.teardown(), db?.close(), idp?.stop()]);
  });

  it('creates the caller’s customer without a workflow run and reads it back from the database', async () => {
    const token = await idp.token({ sub: 'kc-ada', email: 'Ada@Example.com', roles: ['viewer'] });

    const created = await api.request('POST', '/api/v1/stripe/create_customer', {
      token,
      body: { name: 'Ada' },
    });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ email: 'ada@example.com', created: true, stripe_customer_id: null });
    expect(created.body.customer_id).toMatch(/^cust_/);

    const row = await db.orm.em.fork().findOneOrFail(Customer, { userId: 'kc-ada' });
    expect(row.id).toBe(created.body.customer_id);
    expect(row.name).toBe('Ada');

    const read = await api.request('GET', '/api/v1/stripe/customer', { token });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ customer_id: row.id, email: 'ada@example.com', name: 'Ada' });

    const described = await env.client.workflow
      .getHandle(workflowIds.customer('kc-ada'))
      .describe()
      .catch((err: unknown) => err);
    expect(described).toBeInstanceOf(WorkflowNotFoundError);
  });

  it('still onboards through a run an API of the version before starts, while a deployment rolls', async () => {
    const handle = await env.client.workflow.start(customerOnboarding, {
      workflowId: workflowIds.customer('kc-ada-run'),
      taskQueue,
      args: [
        { userId: 'kc-ada-run', email: 'ada-run@example.com', name: 'Ada' },
        { withStripe: false, local: true },
      ],
    });
    const record = await handle.result();

    const row = await db.orm.em.fork().findOneOrFail(Customer, { userId: 'kc-ada-run' });
    expect(record).toEqual({
      customerId: row.id,
      email: 'ada-run@example.com',
      stripeCustomerId: null,
      created: true,
    });
    // Its step is a local activity's marker, and the run asks no patch: no patch marker, and so no upsert of
    // the search attribute that lists a run's patches (a write of its visibility record).
    const events = (await handle.fetchHistory()).events ?? [];
    const kinds = events.map((e) => ({
      type: e.eventType,
      marker: e.markerRecordedEventAttributes?.markerName ?? null,
    }));
    expect(kinds.filter((k) => k.marker !== null).map((k) => k.marker)).toEqual(['core_local_activity']);
    expect(kinds.some((k) => k.type === EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES)).toBe(false);
  });

  it('answers a repeated create with the same customer instead of a second one', async () => {
    const token = await idp.token({ sub: 'kc-bob', email: 'bob@example.com' });
    const first = await api.request('POST', '/api/v1/stripe/create_customer', { token, body: {} });
    const second = await api.request('POST', '/api/v1/stripe/create_customer', { token, body: {} });
    expect(first.body.created).toBe(true);
    expect(second.body).toMatchObject({ customer_id: first.body.customer_id, created: false });
    expect(await db.orm.em.fork().count(Customer, { email: 'bob@example.com' })).toBe(1);
  });

  it('reports ready when the database and Temporal answer and a worker polls the task queue', async () => {
    const ready = await api.request('GET', '/readyz');
    expect({ status: ready.status, body: ready.body }).toEqual({
      status: 200,
      body: { status: 'ready', checks: { database: 'ok', temporal: 'ok', worker: 'ok' } },
    });
  });
});
