import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { callWorkflow, PROBE_DEADLINE_MS, retriesWithinDeadline } from '../../services/temporal/gateway';
import { AppError } from '../../domain/errors';
import { Customer } from '../../db/entities';
import { customerOnboarding } from '../../workflows';
import { workflowIds } from '../../workflows/ids';
import { freePort, startTestApi, type TestApi } from '../helpers/api';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { openTestDatabase } from '../helpers/db';
import { startDevServer } from '../helpers/temporal';
import { failingTask, poke } from '../helpers/failing-task-workflow';

// An upper bound only: what matters is that the answer comes instead of a hung connection.
const SOON_MS = 8000;

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = Date.now();
  const value = await fn();
  return { value, ms: Date.now() - t0 };
}

async function failureOf(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    () => 'resolved',
    (err: unknown) => err,
  );
}

let idp: TestIdp;
let db: Awaited<ReturnType<typeof openTestDatabase>>;

beforeAll(async () => {
  [idp, db] = await Promise.all([startTestIdp(), openTestDatabase('sqlite')]);
});
afterAll(async () => {
  await Promise.all([idp?.stop(), db?.close()]);
});

describe('Temporal answers but no worker polls the task queue', () => {
  let env: TestWorkflowEnvironment;
  let api: TestApi;
  const taskQueue = 'nobody-polls';

  beforeAll(async () => {
    env = await startDevServer();
    api = await startTestApi({
      orm: db.orm,
      temporal: env.client,
      env: { TEMPORAL_TASK_QUEUE: taskQueue, OIDC_ISSUER: idp.issuer, OIDC_JWKS_URL: idp.jwksUrl },
    });
  });
  afterAll(async () => {
    await api?.stop();
    await env?.teardown();
  });

  it('is not ready, and says the worker is missing', async () => {
    const res = await api.request('GET', '/readyz');
    expect({ status: res.status, body: res.body }).toEqual({
      status: 503,
      body: { status: 'not_ready', checks: { database: 'ok', temporal: 'ok', worker: 'no pollers' } },
    });
  });

  it('answers a mutation 503 no_worker at once and starts no workflow', async () => {
    const token = await idp.token({ sub: 'kc-nobody', email: 'nobody@example.com' });
    const { value: res, ms } = await timed(() =>
      api.request('POST', '/api/v1/stripe/attach_payment_method', {
        token,
        body: { payment_method_id: 'pm_card_visa' },
      }),
    );

    expect(ms).toBeLessThan(SOON_MS);
    expect({ status: res.status, code: res.body.error?.code }).toEqual({ status: 503, code: 'no_worker' });
    const customer = await db.orm.em.fork().findOneOrFail(Customer, { userId: 'kc-nobody' });
    const described = await failureOf(
      env.client.workflow.getHandle(workflowIds.paymentMethodAttach(customer.id, 'pm_card_visa')).describe(),
    );
    expect(described).toBeInstanceOf(WorkflowNotFoundError);
  });

  it('signs a first-time caller in all the same: onboarding needs no worker', async () => {
    const token = await idp.token({ sub: 'kc-first', email: 'first@example.com' });
    const res = await api.request('POST', '/api/v1/stripe/create_customer', { token, body: {} });
    expect({ status: res.status, created: res.body.created }).toEqual({ status: 200, created: true });
  });

  it('answers 504 workflow_timeout when a started workflow does not finish by the deadline', async () => {
    const deps = { temporal: env.client, config: api.config };
    const { value: err, ms } = await timed(() =>
      failureOf(
        callWorkflow(
          deps,
          () =>
            env.client.workflow.execute(customerOnboarding, {
              workflowId: workflowIds.customer('kc-stuck'),
              taskQueue,
              args: [{ userId: 'kc-stuck', email: 'stuck@example.com' }],
            }),
          { deadlineMs: 1500, needsWorker: false },
        ),
      ),
    );

    expect(ms).toBeLessThan(SOON_MS);
    expect(err).toBeInstanceOf(AppError);
    expect({ kind: (err as AppError).kind, code: (err as AppError).code }).toEqual({
      kind: 'timeout',
      code: 'workflow_timeout',
    });
  });

  it('answers 504 workflow_timeout when an Update is not taken up by the deadline', async () => {
    const handle = await env.client.workflow.start(customerOnboarding, {
      workflowId: workflowIds.customer('kc-update'),
      taskQueue,
      args: [{ userId: 'kc-update', email: 'update@example.com' }],
    });
    const deps = { temporal: env.client, config: api.config };
    const { value: err, ms } = await timed(() =>
      failureOf(
        callWorkflow(deps, () => handle.executeUpdate('anything'), { deadlineMs: 1500, needsWorker: false }),
      ),
    );

    expect(ms).toBeLessThan(SOON_MS);
    expect({ kind: (err as AppError).kind, code: (err as AppError).code }).toEqual({
      kind: 'timeout',
      code: 'workflow_timeout',
    });
  });
});

describe('Temporal cannot be reached', () => {
  let api: TestApi;
  let temporal: Client;

  beforeAll(async () => {
    // As the API connects in production: lazily, with gRPC retries bounded by each call's deadline.
    const connection = Connection.lazy({
      address: `127.0.0.1:${await freePort()}`,
      interceptors: [retriesWithinDeadline()],
    });
    temporal = new Client({ connection, namespace: 'billing' });
    api = await startTestApi({
      orm: db.orm,
      temporal,
      env: { OIDC_ISSUER: idp.issuer, OIDC_JWKS_URL: idp.jwksUrl },
    });
  });
  afterAll(async () => {
    await api?.stop();
    // A retry scheduled before the last call's deadline may still fire; closing the channel under it throws.
    await new Promise((resolve) => setTimeout(resolve, PROBE_DEADLINE_MS));
    await temporal?.connection.close();
  });

  it('answers a mutation 503 temporal_unavailable within seconds', async () => {
    const token = await idp.token({ sub: 'kc-down', email: 'down@example.com' });
    const { value: res, ms } = await timed(() =>
      api.request('POST', '/api/v1/stripe/attach_payment_method', {
        token,
        body: { payment_method_id: 'pm_card_visa' },
      }),
    );

    expect(ms).toBeLessThan(SOON_MS);
    expect({ status: res.status, code: res.body.error?.code }).toEqual({
      status: 503,
      code: 'temporal_unavailable',
    });
  });

  it('signs a first-time caller in all the same: onboarding needs no Temporal', async () => {
    const token = await idp.token({ sub: 'kc-down-first', email: 'down-first@example.com' });
    const res = await api.request('POST', '/api/v1/stripe/create_customer', { token, body: {} });
    expect({ status: res.status, created: res.body.created }).toEqual({ status: 200, created: true });
  });

  it('is not ready, within seconds', async () => {
    const { value: res, ms } = await timed(() => api.request('GET', '/readyz'));

    expect(ms).toBeLessThan(SOON_MS);
    expect(res.status).toBe(503);
    expect(res.body.checks.database).toBe('ok');
    expect(res.body.checks.temporal).not.toBe('ok');
    expect(res.body.checks.worker).not.toBe('ok');
  });
});

describe('an Update to a run whose workflow task keeps failing', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await startDevServer();
  });
  afterAll(() => env?.teardown());

  it('answers 503 workflow_unavailable, not a bare 500', async () => {
    const taskQueue = 'failing-task';
    const worker = await Worker.create({
      connection: env.nativeConnection,
      namespace: env.namespace,
      taskQueue,
      workflowsPath: require.resolve('../helpers/failing-task-workflow'),
      // The API checks that both workflow and activity tasks have a poller before it sends an Update.
      activities: { nothing: async () => undefined },
    });
    const deps = { temporal: env.client, config: { TEMPORAL_TASK_QUEUE: taskQueue } } as Parameters<
      typeof callWorkflow
    >[0];
    const err = await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(failingTask, {
        taskQueue,
        workflowId: 'failing-task-1',
      });
      // Until its task has failed a few times: Temporal then refuses Updates with FAILED_PRECONDITION.
      for (let i = 0; i < 300; i++) {
        const d = await handle.describe();
        if ((d.raw.pendingWorkflowTask?.attempt ?? 0) >= 3) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      const failure = await failureOf(callWorkflow(deps, () => handle.executeUpdate(poke)));
      await handle.terminate('test over');
      return failure;
    });
    expect(err).toBeInstanceOf(AppError);
    expect({ kind: (err as AppError).kind, code: (err as AppError).code }).toEqual({
      kind: 'unavailable',
      code: 'workflow_unavailable',
    });
  }, 120_000);
});
