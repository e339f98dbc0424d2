import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type Stripe from 'stripe';
import { createStripeClient } from '../../integrations/stripe/client';
import { syncCatalog } from '../../integrations/stripe/catalog-sync';
import { createLogger } from '../../config/logger';
import { startStripeEmulator, type StripeEmulator } from '../../tools/stripe-emulator';
import { createWorker } from '../../worker/create-worker';
import { reservePort, startTestApi, type TestApi } from './api';
import { startTestIdp, type TestIdp } from './auth';
import { openTestDatabase } from './db';
import { startDevServer, TEST_NAMESPACE, workflowBundle } from './temporal';
import { testKeyring } from './byok-keys';
import { loadConfig } from '../../config/env';
import { webhookSettingsFrom } from '../../integrations/webhooks/settings';
import type { MailSettings } from '../../activities/notify/email';
import { Customer } from '../../db/entities';
import { newId } from '../../db/ids';
import { waitUntil } from './eventually';
import { usageRollupWorkflow } from '../../workflows/usage-rollup';

export interface FullStack {
  env: TestWorkflowEnvironment;
  db: Awaited<ReturnType<typeof openTestDatabase>>;
  idp: TestIdp;
  emulator: StripeEmulator;
  stripe: Stripe;
  api: TestApi;
  worker: Worker;
  stop(): Promise<void>;
}

/**
 * The whole engine on loopback: a real Temporal dev server, the worker with every real activity, the
 * Stripe emulator (catalog synced, its events signed to the API), the API, a database and an identity
 * provider. For suites that drive the engine end to end.
 */
export async function startFullStack(opts: {
  taskQueue: string;
  dialect?: 'sqlite' | 'postgresql';
  webhookSecret?: string;
  /** More API configuration, given the port the API will listen on (for addresses of its own). */
  apiEnv?: (port: number) => Record<string, string>;
  /** The worker's outgoing webhook settings, as WEBHOOK_* variables (the API's keyring opens their secrets). */
  workerEnv?: Record<string, string>;
  mail?: MailSettings;
  /** STRIPE_TAX: Checkout collects the address and tax ids, and the emulator's Stripe Tax adds tax. */
  stripeTax?: boolean;
}): Promise<FullStack> {
  const secret = opts.webhookSecret ?? 'whsec_full_stack_secret';
  const [env, db, idp] = await Promise.all([
    startDevServer(),
    openTestDatabase(opts.dialect ?? 'sqlite'),
    startTestIdp(),
  ]);
  const { port, listener } = await reservePort();
  // One master key for both, as in production: endpoint secrets the API seals, the worker opens.
  const keyring = testKeyring();
  const emulator = await startStripeEmulator({
    port: 0,
    webhook: { url: `http://127.0.0.1:${port}/api/v1/billing/webhooks/stripe`, secret },
  });
  const stripe = createStripeClient({ apiBase: emulator.url }) as Stripe;
  await syncCatalog(stripe, db.orm);
  const worker = await createWorker({
    connection: env.nativeConnection,
    namespace: TEST_NAMESPACE,
    taskQueue: opts.taskQueue,
    deps: {
      orm: db.orm,
      logger: createLogger('silent', 'test'),
      stripe,
      webhooks: webhookSettingsFrom(loadConfig({ NODE_ENV: 'test', ...opts.workerEnv }), keyring),
      mail: opts.mail ?? null,
      stripeTax: opts.stripeTax ?? false,
    },
    workflowBundle: workflowBundle(),
  });
  const running = worker.run();
  const api = await startTestApi({
    keyring,
    orm: db.orm,
    temporal: env.client,
    listener,
    env: {
      TEMPORAL_TASK_QUEUE: opts.taskQueue,
      OIDC_ISSUER: idp.issuer,
      OIDC_JWKS_URL: idp.jwksUrl,
      STRIPE_API_BASE: emulator.url,
      STRIPE_WEBHOOK_SECRET: secret,
      ...opts.apiEnv?.(port),
    },
  });
  return {
    env,
    db,
    idp,
    emulator,
    stripe,
    api,
    worker,
    async stop() {
      await api.stop();
      worker.shutdown();
      await running;
      await emulator.stop();
      await Promise.all([env.teardown(), db.close(), idp.stop()]);
    },
  };
}

/**
 * A customer in the engine's database and in Stripe, on a Stripe test clock so renewals can be made to
 * happen now; with a token of theirs and a read of their subscription.
 */
export async function customerOnClock(
  stack: Pick<FullStack, 'stripe' | 'db' | 'idp' | 'api'>,
  name: string,
  frozenTime = Math.floor(Date.now() / 1000),
) {
  const { stripe, db, idp, api } = stack;
  const clock = await stripe.testHelpers.testClocks.create({ frozen_time: frozenTime });
  const email = `${name}@example.com`;
  const stripeCustomer = await stripe.customers.create({ email, test_clock: clock.id });
  const em = db.orm.em.fork();
  em.create(Customer, {
    id: newId('cust'),
    userId: `kc-${name}`,
    email,
    stripeCustomerId: stripeCustomer.id,
  });
  await em.flush();
  const token = await idp.token({ sub: `kc-${name}`, email });
  const getSub = () => api.request('GET', '/api/v1/billing/subscription', { token });
  return { clock, stripeCustomer, token, getSub };
}

/** A payment method as the caller's list shows it. */
export interface ListedPaymentMethod {
  id: string;
  type: string;
  is_default: boolean;
}

/**
 * A starter subscriber who paid at Checkout with 4242 (typing `country` as the billing address, which
 * Checkout asks for with Stripe Tax on), acting through the API with their own token; `name` names the
 * email and the identity.
 */
export async function starterSubscriber(stack: FullStack, name: string, opts: { country?: string } = {}) {
  const { stripe, db, idp, api, emulator } = stack;
  const email = `${name}@example.com`;
  const stripeCustomer = await stripe.customers.create({ email });
  const em = db.orm.em.fork();
  const customer = em.create(Customer, {
    id: newId('cust'),
    userId: `kc-${name}`,
    email,
    stripeCustomerId: stripeCustomer.id,
  });
  await em.flush();
  const token = await idp.token({ sub: `kc-${name}`, email });
  const call = (method: string, path: string, body?: unknown) =>
    api.request(method, `/api/v1${path}`, { token, body });
  const checkout = await call('POST', '/billing/checkout/create', {
    tier_id: 'starter',
    billing_cycle: 'monthly',
  });
  expect(checkout.status).toBe(200);
  emulator.completeCheckoutSession(checkout.body.session_id, {
    cardNumber: '4242424242424242',
    ...(opts.country ? { address: { country: opts.country } } : {}),
  });
  /** The caller's payment methods once the mirror lists `n` of them. */
  const paymentMethods = async (n: number, what: string) =>
    (
      await waitUntil(
        () => call('GET', '/billing/payment-methods'),
        (r) => r.body?.length === n,
        what,
        30_000,
        200,
      )
    ).body as ListedPaymentMethod[];
  const [card] = await paymentMethods(1, 'the Checkout card in the mirror');
  return {
    call,
    paymentMethods,
    cardId: card!.id,
    customerId: customer.id,
    stripeCustomerId: stripeCustomer.id,
  };
}

/**
 * A starter subscriber (monthly, metered usage) on a Stripe test clock who paid at Checkout with 4242,
 * acting through the API with their own token; `name` names the email and the identity.
 */
export async function starterOnClock(stack: FullStack, name: string) {
  const who = await customerOnClock(stack, name);
  const call = (method: string, path: string, body?: unknown) =>
    stack.api.request(method, `/api/v1${path}`, { token: who.token, body });
  const checkout = await call('POST', '/billing/checkout/create', {
    tier_id: 'starter',
    billing_cycle: 'monthly',
  });
  expect(checkout.status).toBe(200);
  stack.emulator.completeCheckoutSession(checkout.body.session_id, { cardNumber: '4242424242424242' });
  const active = await waitUntil(who.getSub, (r) => r.body?.status === 'active', 'the subscription', 60_000);
  return { ...who, call, sub: active.body, email: `${name}@example.com` };
}

/**
 * Moves a subscriber's test clock past the current period's end and waits for the renewal invoice, paid,
 * in the mirror, and for the next period on the subscription's row (before the clock can be moved past
 * its end).
 */
export async function renewOnClock(stack: FullStack, who: Awaited<ReturnType<typeof starterOnClock>>) {
  const end = Date.parse((await who.getSub()).body.current_period_end);
  await stack.stripe.testHelpers.testClocks.advance(who.clock.id, { frozen_time: end / 1000 + 3600 });
  await waitUntil(
    () => who.call('GET', '/billing/invoices'),
    (r) =>
      Array.isArray(r.body) &&
      r.body.some(
        (i: { period_end: string | null; status: string }) =>
          i.status === 'paid' && i.period_end === new Date(end).toISOString(),
      ),
    'the renewal in the mirror',
    120_000,
  );
  await waitUntil(
    who.getSub,
    (r) => r.body?.current_period_start === new Date(end).toISOString(),
    'the next period in the mirror',
    120_000,
  );
}

/** The usage rollup's one pass, once the current one-second window has closed: the rated cost sent to Stripe's meter. */
export async function rollUpOnce(stack: FullStack, taskQueue: string, workflowId: string): Promise<void> {
  await new Promise((r) => setTimeout(r, 1100));
  await stack.env.client.workflow.execute(usageRollupWorkflow, {
    workflowId,
    taskQueue,
    args: [{ windowSeconds: 1, maxCycles: 1 }],
  });
}
