import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ByokKey } from '../../config/byok-key';
import { recordBillingEvent } from '../../db/billing-events';
import { Customer, WebhookAttempt, WebhookDelivery } from '../../db/entities';
import { newId } from '../../db/ids';
import { sqlFor } from '../../db/raw-sql';
import { createEndpoint } from '../../services/webhooks/endpoints';
import { openTestDatabase } from '../helpers/db';
import { killProcess, startEngineProcess } from '../helpers/engine-process';
import { waitUntil } from '../helpers/eventually';
import { startDevServer, TEST_NAMESPACE, workflowBundle } from '../helpers/temporal';
import { startWebhookReceiver } from '../helpers/webhook-receiver';

const TASK_QUEUE = 'webhooks-crash';

// A kill that lands while an attempt is in flight (not in its backoff) leaves that attempt to Temporal's
// start-to-close timeout (90 s) before the new worker may retry it: the test allows for that case.
jest.setTimeout(240_000);

/**
 * The worker process (worker/main.ts, which starts the dispatcher itself) SIGKILLed while a delivery waits
 * out its backoff: a new worker picks the queue up where it was, and every event reaches the receiver
 * once it answers, in order, with each success logged once.
 */
describe('outgoing webhooks across a killed worker', () => {
  let env: TestWorkflowEnvironment;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let varDir: string;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  const children: ChildProcess[] = [];
  const masterKey = randomBytes(32);

  beforeAll(async () => {
    [env, db, receiver] = await Promise.all([
      startDevServer(),
      openTestDatabase('postgresql'),
      startWebhookReceiver(),
    ]);
    varDir = mkdtempSync(join(tmpdir(), 'webhooks-crash-'));
  });
  afterAll(async () => {
    await Promise.all(children.map(killProcess));
    await env?.client.workflow
      .getHandle('webhook-dispatch')
      .terminate()
      .catch(() => undefined);
    await receiver?.stop();
    await Promise.all([db?.close(), env?.teardown()]);
    if (varDir) rmSync(varDir, { recursive: true, force: true });
  });

  function startWorker(): ChildProcess {
    const child = startEngineProcess('worker/main.ts', {
      DATABASE_URL: db.url,
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_NAMESPACE: TEST_NAMESPACE,
      TEMPORAL_TASK_QUEUE: TASK_QUEUE,
      VAR_DIR: varDir,
      WORKFLOW_BUNDLE_PATH: workflowBundle().codePath,
      BYOK_ENCRYPTION_KEY: masterKey.toString('base64'),
      WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
      WEBHOOK_FIRST_RETRY_MS: '1500',
      WEBHOOK_MAX_RETRY_DELAY_MS: '1500',
      WEBHOOK_TIMEOUT_MS: '1000',
    });
    children.push(child);
    return child;
  }

  it('delivers every event once its receiver answers, in order, after the worker is killed mid-retry', async () => {
    const em = db.orm.em.fork();
    const customer = em.create(Customer, {
      id: newId('cust'),
      userId: 'kc-crash',
      email: 'crash@example.com',
    });
    await em.flush();
    const keyring = { current: new ByokKey(masterKey), previous: null };
    const { view, secret } = await createEndpoint(
      db.orm.em.fork(),
      {
        sub: 'admin',
        email: 'ops@example.com',
        name: null,
        roles: ['admin'],
        role: 'admin',
        expMs: Date.now() + 60_000,
      },
      { url: receiver.url, description: null, eventTypes: ['credits.low'], enabled: true },
      { keyring, urlPolicy: { production: false, allowPrivate: true } },
    );
    receiver.secret = secret;
    receiver.otherwise = 500;
    const sql = sqlFor(db.orm.em.fork());
    for (const n of [1, 2, 3])
      await recordBillingEvent(sql, {
        customerId: customer.id,
        type: 'credits.low',
        payload: { value: n },
        dedupeKey: `credits.low:crash-${n}`,
        at: new Date(Date.now() + n),
      });

    const first = startWorker();
    await waitUntil(
      async () => receiver.received.length,
      (n) => n >= 2,
      'two failed attempts of the first event',
      90_000,
      100,
    );
    await killProcess(first);
    // While no worker runs, the receiver recovers; the next try is the new worker's.
    receiver.otherwise = 200;
    const failedBefore = receiver.received.length;
    startWorker();
    await waitUntil(
      async () => receiver.delivered().length,
      (n) => n === 3,
      'the three events delivered by the second worker',
      150_000,
      200,
    );
    expect(receiver.received.every((r) => r.verified)).toBe(true);
    expect(receiver.delivered().map((r) => (r.body.data as { value: number }).value)).toEqual([1, 2, 3]);
    // Nothing but the first event was tried while it failed.
    const firstId = receiver.received[0]!.id;
    expect(receiver.received.slice(0, failedBefore).every((r) => r.id === firstId)).toBe(true);
    expect(new Set(receiver.delivered().map((r) => r.id)).size).toBe(3);

    // The receiver's 200 reaches it before the worker records the success, so the test waits for the record.
    const statuses = await waitUntil(
      async () =>
        (await db.orm.em.fork().find(WebhookDelivery, { endpointId: view.endpoint.id })).map((d) => d.status),
      (s) => s.every((status) => status !== 'pending'),
      'the three deliveries recorded as no longer pending',
      20_000,
      100,
    );
    expect(statuses).toEqual(['succeeded', 'succeeded', 'succeeded']);
    const successes = await db.orm.em
      .fork()
      .count(WebhookAttempt, { endpointId: view.endpoint.id, ok: true });
    expect(successes).toBe(3);
  });
});
