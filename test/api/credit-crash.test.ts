import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type Stripe from 'stripe';
import { readLedger } from '../../db/credit-ledger';
import { CreditPack, CreditSettings, Customer, PaymentMethod } from '../../db/entities';
import { newId } from '../../db/ids';
import { sqlFor } from '../../db/raw-sql';
import { creditBalance } from '../../domain/credit-ledger';
import { createStripeClient } from '../../integrations/stripe/client';
import { creditPurchaseMetadata } from '../../integrations/stripe/credit-purchase-metadata';
import { packTerms } from '../../services/credits/purchase';
import { startTopUpIfDue } from '../../services/credits/top-up';
import { startStripeEmulator, type StripeEmulator } from '../../tools/stripe-emulator';
import { openTestDatabase } from '../helpers/db';
import { killProcess, startEngineProcess, untilListening } from '../helpers/engine-process';
import { waitUntil } from '../helpers/eventually';
import { startDevServer, TEST_NAMESPACE, workflowBundle } from '../helpers/temporal';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { freePort } = require('../../tools/free-port');

const TASK_QUEUE = 'credit-crash';
const WEBHOOK_SECRET = 'whsec_credit_crash';

/**
 * Crashes in the middle of buying credits, on PostgreSQL with a real Temporal server: the worker killed
 * while its top-up charge is at Stripe, and the API killed after it took a purchase's Stripe event but before
 * it handed it on. Each crossing charges once and each purchase grants once.
 */
describe('buying credits across crashes', () => {
  let env: TestWorkflowEnvironment;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let emulator: StripeEmulator;
  let stripe: Stripe;
  let varDir: string;
  let apiPort: number;
  const children: ChildProcess[] = [];
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    [env, db, apiPort] = await Promise.all([startDevServer(), openTestDatabase('postgresql'), freePort()]);
    emulator = await startStripeEmulator({
      port: 0,
      webhook: { url: `http://127.0.0.1:${apiPort}/api/v1/billing/webhooks/stripe`, secret: WEBHOOK_SECRET },
      // Deliveries while no API listens are retried soon and given up soon: waiting for the Stripe events to
      // settle must not wait out Stripe's real schedule.
      webhookBehavior: { retryDelaysMs: [200, 500, 1000] },
    });
    stripe = createStripeClient({ apiBase: emulator.url }) as Stripe;
    varDir = mkdtempSync(join(tmpdir(), 'credit-crash-'));
  });
  afterAll(async () => {
    await Promise.all(children.map(killProcess));
    await emulator?.stop();
    await Promise.all([db?.close(), env?.teardown()]);
    if (varDir) rmSync(varDir, { recursive: true, force: true });
  });

  const engineEnv = () => ({
    DATABASE_URL: db.url,
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_NAMESPACE: TEST_NAMESPACE,
    TEMPORAL_TASK_QUEUE: TASK_QUEUE,
    STRIPE_API_BASE: emulator.url,
    VAR_DIR: varDir,
  });

  /** A worker unless one this file started still runs (the tests may run alone). */
  function ensureWorker(): void {
    if (!workers.some((w) => w.exitCode === null && w.signalCode === null)) startWorker();
  }

  function startWorker(): ChildProcess {
    const child = startEngineProcess('worker/main.ts', {
      ...engineEnv(),
      WORKFLOW_BUNDLE_PATH: workflowBundle().codePath,
    });
    children.push(child);
    workers.push(child);
    return child;
  }

  async function startApi(temporalAddress: string): Promise<ChildProcess> {
    const child = startEngineProcess('api/main.ts', {
      ...engineEnv(),
      TEMPORAL_ADDRESS: temporalAddress,
      PORT: String(apiPort),
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      OIDC_ISSUER: 'http://127.0.0.1:1/unused',
      OIDC_JWKS_URL: 'http://127.0.0.1:1/unused/jwks',
    });
    children.push(child);
    await untilListening(`http://127.0.0.1:${apiPort}`, child);
    return child;
  }

  /** A customer with a card on file in Stripe and the mirror, and a pack of 1,000 credits for 19 USD. */
  async function customerWithCard(name: string) {
    const stripeCustomer = await stripe.customers.create({ email: `${name}@example.com` });
    const card = await stripe.paymentMethods.attach('pm_card_visa', { customer: stripeCustomer.id });
    const em = db.orm.em.fork();
    const customer = em.create(Customer, {
      id: newId('cust'),
      userId: `kc-${name}`,
      email: `${name}@example.com`,
      stripeCustomerId: stripeCustomer.id,
    });
    em.create(PaymentMethod, {
      id: newId('pm'),
      customer,
      stripePaymentMethodId: card.id,
      isDefault: true,
      createdAt: new Date(),
    });
    const pack = em.create(CreditPack, {
      id: newId('pack'),
      code: `crash-${name}`,
      name: '1,000 credits',
      credits: 1000,
      priceCents: 1900,
      currency: 'usd',
      planCodes: [],
      expiresAfterDays: null,
      active: true,
      createdAt: new Date(),
      updatedAt: new Date(),
    });
    await em.flush();
    return { customer, pack, stripeCustomerId: stripeCustomer.id };
  }

  async function balanceOf(customerId: string) {
    const { grants, movements } = await readLedger(sqlFor(db.orm.em.fork()), customerId);
    return { balance: creditBalance(grants, movements, new Date()), grants };
  }

  it('charges a crossing once when the worker dies while its charge is at Stripe', async () => {
    const { customer, pack, stripeCustomerId } = await customerWithCard('crash-top-up');
    const em = db.orm.em.fork();
    em.create(CreditSettings, {
      customerId: customer.id,
      autoTopUpEnabled: true,
      autoTopUpThreshold: 500,
      autoTopUpPackId: pack.id,
      updatedAt: new Date(),
    });
    await em.flush();
    // Stripe takes 4 s to answer the charge: the worker is killed while it waits.
    emulator.injectFault({ method: 'POST', path: '/v1/payment_intents', kind: 'latency', latencyMs: 4000 });
    const first = startWorker();
    const deps = {
      orm: db.orm,
      temporal: env.client,
      config: { TEMPORAL_TASK_QUEUE: TASK_QUEUE, CREDIT_TOP_UP_RETRY_SECONDS: 3600 },
    };
    expect(await startTopUpIfDue(deps as never, customer.id)).toBe(true);
    await waitUntil(
      async () => emulator.faults().length,
      (left) => left === 0,
      'the charge to reach Stripe',
      60_000,
      50,
    );
    await killProcess(first);
    // The charge goes through at Stripe after the worker is gone; nothing is granted for it yet.
    await waitUntil(
      () => stripe.paymentIntents.list({ customer: stripeCustomerId }),
      (list) => list.data.some((p) => p.status === 'succeeded'),
      'Stripe to finish the charge',
    );
    expect((await balanceOf(customer.id)).balance).toBe(0);
    // The same crossing seen again (another report, another process) starts nothing new.
    expect(await startTopUpIfDue(deps as never, customer.id)).toBe(true);

    startWorker();
    const after = await waitUntil(
      () => balanceOf(customer.id),
      (b) => b.balance === 1000,
      'the retried charge to grant the credits',
      60_000,
      250,
    );
    expect(after.grants.map((g) => [g.amount, g.source])).toEqual([[1000, 'purchase']]);
    const charged = (await stripe.paymentIntents.list({ customer: stripeCustomerId })).data;
    expect(charged.map((p) => [p.amount, p.status])).toEqual([[1900, 'succeeded']]);
    expect(await startTopUpIfDue(deps as never, customer.id)).toBe(false);
  }, 240_000);

  it('grants a purchase once when the API dies after taking its Stripe event and before handing it on', async () => {
    const { customer, pack, stripeCustomerId } = await customerWithCard('crash-purchase');
    // An API that cannot reach Temporal records the Stripe event (Stripe's delivery succeeds) and cannot forward it.
    const blind = await startApi('127.0.0.1:1');
    const metadata = creditPurchaseMetadata(customer.id, packTerms(pack, pack.currency, pack.priceCents));
    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      customer: stripeCustomerId,
      line_items: [
        {
          price_data: { currency: 'usd', product_data: { name: pack.name }, unit_amount: 1900 },
          quantity: 1,
        },
      ],
      payment_intent_data: { metadata },
      metadata,
      success_url: 'http://127.0.0.1/billing/credits',
    });
    emulator.completeCheckoutSession(session.id, { cardNumber: '4242424242424242' });
    const recorded = () =>
      sqlFor(db.orm.em.fork()).run<{ forwarded_at: unknown }>(
        `select forwarded_at from webhook_events where type = 'checkout.session.completed' and object_id = ?`,
        [session.id],
      );
    await waitUntil(recorded, (rows) => rows.length === 1, 'the Stripe event to be recorded');
    await killProcess(blind);
    expect((await recorded())[0]?.forwarded_at ?? null).toBeNull();
    expect((await balanceOf(customer.id)).balance).toBe(0);

    // Restarted with Temporal: its sweep hands the recorded event on, and Stripe's redelivery is a duplicate.
    ensureWorker();
    await startApi(env.address);
    await waitUntil(
      () => balanceOf(customer.id),
      (b) => b.balance === 1000,
      'the purchase to be granted after the restart',
      60_000,
      250,
    );
    await emulator.waitForWebhooks();
    const { grants } = await balanceOf(customer.id);
    expect(grants.map((g) => [g.amount, g.sourceKey])).toEqual([[1000, `checkout:${session.id}`]]);
  }, 240_000);
});
