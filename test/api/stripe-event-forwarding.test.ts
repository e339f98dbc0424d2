import { Client, Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import Stripe from 'stripe';
import { createStripeClient } from '../../integrations/stripe/client';
import { syncCatalog } from '../../integrations/stripe/catalog-sync';
import { createLogger } from '../../config/logger';
import { Customer, StripeEvent } from '../../db/entities';
import { newId } from '../../db/ids';
import { startStripeEmulator, type StripeEmulator } from '../../tools/stripe-emulator';
import { createWorker } from '../../worker/create-worker';
import { subscriptionState } from '../../workflows/messages';
import { freePort, startTestApi, type TestApi } from '../helpers/api';
import { openTestDatabase } from '../helpers/db';
import { startDevServer, TEST_NAMESPACE, workflowBundle } from '../helpers/temporal';

const SECRET = 'whsec_forwarding';
const signer = new Stripe('sk_test_signer');

async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  while (!ok(last)) {
    if (Date.now() > deadline) throw new Error(`timed out; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 200));
    last = await read();
  }
  return last;
}

describe('Stripe event forwarding while Temporal is down', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let emulator: StripeEmulator;
  let api: TestApi;
  let env: TestWorkflowEnvironment | undefined;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  let temporalPort: number;

  beforeAll(async () => {
    [db, emulator, temporalPort] = await Promise.all([
      openTestDatabase('sqlite'),
      startStripeEmulator({ port: 0 }),
      freePort(),
    ]);
    // The API's Temporal is an address nothing listens on yet (no gRPC retries, so each try fails fast).
    const temporal = new Client({
      connection: Connection.lazy({
        address: `127.0.0.1:${temporalPort}`,
        connectTimeout: 500,
        interceptors: [],
      }),
      namespace: TEST_NAMESPACE,
    });
    api = await startTestApi({
      orm: db.orm,
      temporal,
      env: {
        TEMPORAL_TASK_QUEUE: 'forwarding',
        STRIPE_API_BASE: emulator.url,
        STRIPE_WEBHOOK_SECRET: SECRET,
      },
    });
  });
  afterAll(async () => {
    await api?.stop();
    worker?.shutdown();
    await running;
    await emulator?.stop();
    await Promise.all([env?.teardown(), db?.close()]);
  });

  it('acknowledges an event while Temporal is unreachable and hands it over once Temporal is back', async () => {
    const stripe = createStripeClient({ apiBase: emulator.url }) as Stripe;
    await syncCatalog(stripe, db.orm);
    const sc = await stripe.customers.create({
      email: 'down@example.com',
      payment_method: 'pm_card_visa',
      invoice_settings: { default_payment_method: 'pm_card_visa' },
    });
    const em = db.orm.em.fork();
    em.create(Customer, {
      id: newId('cust'),
      userId: 'u-down',
      email: 'down@example.com',
      stripeCustomerId: sc.id,
    });
    await em.flush();
    const price = (await stripe.prices.list({ lookup_keys: ['starter_v1_monthly'] })).data[0] as Stripe.Price;
    const sub = await stripe.subscriptions.create({ customer: sc.id, items: [{ price: price.id }] });

    const payload = JSON.stringify({
      id: 'evt_while_down',
      object: 'event',
      type: 'customer.subscription.created',
      created: Math.floor(Date.now() / 1000),
      data: { object: sub },
    });
    const res = await fetch(`${api.url}/api/v1/billing/webhooks/stripe`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'stripe-signature': signer.webhooks.generateTestHeaderString({ payload, secret: SECRET }),
      },
      body: payload,
    });
    expect(res.status).toBe(200);
    await api.stripeEventsDrained();
    const pending = await db.orm.em.fork().findOneOrFail(StripeEvent, 'evt_while_down');
    expect(pending.forwardedAt ?? null).toBeNull();

    // Temporal comes up on that address; the forwarder's sweep delivers the event.
    env = await startDevServer({ port: temporalPort });
    worker = await createWorker({
      connection: env.nativeConnection,
      namespace: TEST_NAMESPACE,
      taskQueue: 'forwarding',
      deps: { orm: db.orm, logger: createLogger('silent', 'test'), stripe },
      workflowBundle: workflowBundle(),
    });
    running = worker.run();
    const forwarded = await eventually(
      () => db.orm.em.fork().findOneOrFail(StripeEvent, 'evt_while_down'),
      (e) => e.forwardedAt != null,
    );
    const subscriptionId = `subs_stripe_${sub.id.replace(/^sub_/, '')}`;
    expect(forwarded.workflowId).toBe(subscriptionId);
    const state = await eventually(
      () => env!.client.workflow.getHandle(`subscription-${subscriptionId}`).query(subscriptionState),
      (s) => s.status === 'active',
    );
    expect(state.stripeSubscriptionId).toBe(sub.id);
  });
});
