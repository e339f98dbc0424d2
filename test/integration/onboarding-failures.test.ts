import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { CustomerInput } from '../../activities';
import { createLogger } from '../../config/logger';
import { Customer } from '../../db/entities';
import { createWorker } from '../../worker/create-worker';
import { customerOnboarding } from '../../workflows';
import { workflowIds } from '../../workflows/ids';
import { startTestApi, type TestApi } from '../helpers/api';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { openTestDatabase } from '../helpers/db';
import { startDevServer, TEST_NAMESPACE, workflowBundle } from '../helpers/temporal';

// Generous: the point is that nothing waits for the hour a retried database error would.
const SOON_MS = 8000;

let env: TestWorkflowEnvironment;
let idp: TestIdp;

beforeAll(async () => {
  [env, idp] = await Promise.all([startDevServer(), startTestIdp()]);
});
afterAll(async () => {
  await Promise.all([env?.teardown(), idp?.stop()]);
});

/** A value each database refuses for good: PostgreSQL cannot carry a NUL, SQLite refuses a null email. */
const refusedBy = {
  postgresql: (userId: string): CustomerInput => ({
    userId,
    email: `${userId}@example.com`,
    name: '\u0000Ö',
  }),
  sqlite: (userId: string): CustomerInput => ({ userId, email: null as unknown as string }),
};

describe.each(['sqlite', 'postgresql'] as const)(
  'onboarding with data the database refuses, on %s',
  (dialect) => {
    let db: Awaited<ReturnType<typeof openTestDatabase>>;
    let worker: Worker;
    let running: Promise<void>;
    let api: TestApi;
    const taskQueue = `onboarding-failures-${dialect}`;

    beforeAll(async () => {
      db = await openTestDatabase(dialect);
      worker = await createWorkerFor(db.orm, taskQueue);
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
      await db?.close();
    });

    /** Runs a customer's onboarding as the API would and waits, at most SOON_MS, for its outcome. */
    async function onboard(input: CustomerInput) {
      const handle = await env.client.workflow.start(customerOnboarding, {
        workflowId: workflowIds.customer(input.userId),
        taskQueue,
        args: [input, { withStripe: false }],
      });
      const outcome = await env.client
        .withDeadline(Date.now() + SOON_MS, () => handle.result())
        .then(
          () => null,
          (err: unknown) => err,
        );
      return { handle, outcome };
    }

    it('fails the workflow at the first attempt instead of retrying for an hour', async () => {
      const { handle, outcome } = await onboard(refusedBy[dialect](`refused-${dialect}`));

      expect(outcome).toBeInstanceOf(WorkflowFailedError);
      // A local activity's failure reaches the workflow unwrapped; an activity task's inside an ActivityFailure.
      const failure = (outcome as WorkflowFailedError).cause;
      const cause = (failure instanceof ActivityFailure ? failure.cause : failure) as ApplicationFailure;
      expect(cause).toBeInstanceOf(ApplicationFailure);
      expect(cause.nonRetryable).toBe(true);
      expect(['InvalidData', 'ConstraintViolation']).toContain(cause.type);
      // One attempt: the record's local activity left one marker, of its first attempt, and nothing retried it.
      const markers = (await handle.fetchHistory()).events?.filter(
        (e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity',
      );
      const attempts = markers?.map(
        (e) =>
          (
            JSON.parse(
              Buffer.from(
                e.markerRecordedEventAttributes?.details?.data?.payloads?.[0]?.data ?? [],
              ).toString(),
            ) as { attempt: number }
          ).attempt,
      );
      expect(attempts).toEqual([1]);
    });

    it('a later call by the same user onboards them once the failed run has ended', async () => {
      const sub = `later-${dialect}`;
      const { outcome } = await onboard(refusedBy[dialect](sub));
      expect(outcome).toBeInstanceOf(WorkflowFailedError);

      const token = await idp.token({ sub, email: `${sub}@example.com` });
      const t0 = Date.now();
      const res = await api.request('POST', '/api/v1/stripe/create_customer', {
        token,
        body: { name: 'Zoë' },
      });

      expect(Date.now() - t0).toBeLessThan(SOON_MS);
      expect({ status: res.status, created: res.body.created }).toEqual({ status: 200, created: true });
      const row = await db.orm.em.fork().findOneOrFail(Customer, { userId: sub });
      expect(row.name).toBe('Zoë');
    });

    it('answers 409 when another user holds the email, within seconds, and the other user is untouched', async () => {
      const owner = await idp.token({ sub: `owner-${dialect}`, email: `taken-${dialect}@example.com` });
      const first = await api.request('POST', '/api/v1/stripe/create_customer', { token: owner, body: {} });
      expect(first.status).toBe(200);

      const other = await idp.token({ sub: `other-${dialect}`, email: `taken-${dialect}@example.com` });
      const t0 = Date.now();
      const res = await api.request('POST', '/api/v1/stripe/create_customer', { token: other, body: {} });

      expect(Date.now() - t0).toBeLessThan(SOON_MS);
      expect({ status: res.status, code: res.body.error?.code }).toEqual({
        status: 409,
        code: 'constraint_violation',
      });
      const owners = await db.orm.em.fork().find(Customer, { email: `taken-${dialect}@example.com` });
      expect(owners.map((c) => c.userId)).toEqual([`owner-${dialect}`]);
    });
  },
);

function createWorkerFor(orm: Awaited<ReturnType<typeof openTestDatabase>>['orm'], taskQueue: string) {
  return createWorker({
    connection: env.nativeConnection,
    namespace: TEST_NAMESPACE,
    taskQueue,
    deps: { orm, logger: createLogger('silent', 'test') },
    workflowBundle: workflowBundle(),
  });
}
