import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type Stripe from 'stripe';
import { createLogger } from '../../config/logger';
import { addGrant, readLedger } from '../../db/credit-ledger';
import { CreditPack, CreditSettings, Customer, Notification, PaymentMethod } from '../../db/entities';
import { newId } from '../../db/ids';
import { sqlFor } from '../../db/raw-sql';
import { creditBalance } from '../../domain/credit-ledger';
import { createStripeClient } from '../../integrations/stripe/client';
import { startStripeEmulator, type StripeEmulator } from '../../tools/stripe-emulator';
import { createWorker } from '../../worker/create-worker';
import { creditHousekeepingWorkflow } from '../../workflows';
import { openTestDatabase } from '../helpers/db';
import { waitUntil } from '../helpers/eventually';
import { startSmtp } from '../helpers/smtp';
import { startDevServer, TEST_NAMESPACE, workflowBundle } from '../helpers/temporal';

const TASK_QUEUE = 'credit-housekeeping';
const DAY = 86_400_000;

/**
 * The credit housekeeping loop on a real Temporal server with the worker's real activities, the Stripe
 * emulator and a real SMTP server: a lapsed grant's expiry is written into the ledger once, the alert
 * mails the API queued are sent, and an automatic top-up nobody started is started, once per crossing.
 */
describe('credit housekeeping', () => {
  let env: TestWorkflowEnvironment;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let emulator: StripeEmulator;
  let stripe: Stripe;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let worker: Worker;
  let running: Promise<void>;

  beforeAll(async () => {
    [env, db, emulator, smtp] = await Promise.all([
      startDevServer(),
      openTestDatabase('postgresql'),
      startStripeEmulator({ port: 0 }),
      startSmtp(),
    ]);
    stripe = createStripeClient({ apiBase: emulator.url }) as Stripe;
    worker = await createWorker({
      connection: env.nativeConnection,
      namespace: TEST_NAMESPACE,
      taskQueue: TASK_QUEUE,
      deps: {
        orm: db.orm,
        logger: createLogger('silent', 'test'),
        stripe,
        mail: { url: smtp.url, from: 'billing@example.com' },
      },
      workflowBundle: workflowBundle(),
    });
    running = worker.run();
  });
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await Promise.all([emulator?.stop(), smtp?.stop(), db?.close(), env?.teardown()]);
  });

  const cycle = (id: string) =>
    env.client.workflow.execute(creditHousekeepingWorkflow, {
      workflowId: id,
      taskQueue: TASK_QUEUE,
      args: [{ maxCycles: 1, topUpRetryAfterSeconds: 3600 }],
    });

  async function customer(name: string) {
    const stripeCustomer = await stripe.customers.create({ email: `${name}@example.com` });
    const em = db.orm.em.fork();
    const row = em.create(Customer, {
      id: newId('cust'),
      userId: `kc-${name}`,
      email: `${name}@example.com`,
      stripeCustomerId: stripeCustomer.id,
    });
    await em.flush();
    return { id: row.id, stripeCustomerId: stripeCustomer.id };
  }

  const ledgerOf = async (customerId: string) => {
    const { grants, movements } = await readLedger(sqlFor(db.orm.em.fork()), customerId);
    return { grants, movements, balance: creditBalance(grants, movements, new Date()) };
  };

  it('writes what is left of a lapsed grant as its expiry, once, and leaves live grants alone', async () => {
    const { id } = await customer('lapsed');
    const sql = sqlFor(db.orm.em.fork());
    const grant = (key: string, amount: number, expiresAt: Date | null) =>
      addGrant(sql, {
        customerId: id,
        amount,
        source: 'promotion',
        effectiveAt: new Date(Date.now() - 30 * DAY),
        expiresAt,
        sourceKey: `promotion:${id}:${key}`,
      });
    const lapsed = (await grant('old', 300, new Date(Date.now() - DAY))).grant;
    const live = (await grant('new', 200, new Date(Date.now() + DAY))).grant;
    await cycle('credit-housekeeping-expiry-1');
    await cycle('credit-housekeeping-expiry-2');
    const { movements, balance } = await ledgerOf(id);
    expect(movements.map((m) => [m.grantId, m.kind, m.amount, m.at.getTime()])).toEqual([
      [lapsed.id, 'expiry', 300, lapsed.expiresAt!.getTime()],
    ]);
    expect(balance).toBe(200);
    expect(movements.some((m) => m.grantId === live.id)).toBe(false);
  });

  it('sends the alert mails the API queued, and no mail a workflow sends itself', async () => {
    const { id } = await customer('alerted');
    const em = db.orm.em.fork();
    for (const kind of ['credits_low', 'trial_will_end']) {
      em.create(Notification, {
        id: newId('ntf'),
        customerId: id,
        email: 'alerted@example.com',
        kind,
        dedupeKey: `${kind}:${id}`,
        payload: {},
        createdAt: new Date(),
      });
    }
    await em.flush();
    await cycle('credit-housekeeping-mail-1');
    await cycle('credit-housekeeping-mail-2');
    const mails = smtp.received.filter((m) => m.to.includes('alerted@example.com'));
    expect(mails).toHaveLength(1);
    expect(mails[0]!.data).toContain('Your prepaid credits are running low');
    const rows = await db.orm.em.fork().find(Notification, { customerId: id }, { orderBy: { kind: 'asc' } });
    expect(rows.map((r) => [r.kind, r.sentAt !== null && r.sentAt !== undefined])).toEqual([
      ['credits_low', true],
      ['trial_will_end', false],
    ]);
  });

  it('starts a top-up nobody started, and charges the crossing once however often it looks', async () => {
    const { id, stripeCustomerId } = await customer('forgotten');
    const card = await stripe.paymentMethods.attach('pm_card_visa', { customer: stripeCustomerId });
    const em = db.orm.em.fork();
    const pack = em.create(CreditPack, {
      id: newId('pack'),
      code: 'housekeeping',
      name: '1,000 credits',
      credits: 1000,
      priceCents: 1900,
      currency: 'usd',
      planCodes: [],
      active: true,
      createdAt: new Date(),
      updatedAt: new Date(),
    });
    em.create(PaymentMethod, {
      id: newId('pm'),
      customer: id,
      stripePaymentMethodId: card.id,
      isDefault: true,
      createdAt: new Date(),
    });
    em.create(CreditSettings, {
      customerId: id,
      autoTopUpEnabled: true,
      autoTopUpThreshold: 100,
      autoTopUpPackId: pack.id,
      updatedAt: new Date(),
    });
    await em.flush();
    // Two loops look at the same crossing at once (a second worker's, or the next cycle before it ended).
    await Promise.all([cycle('credit-housekeeping-top-up-1'), cycle('credit-housekeeping-top-up-2')]);
    const after = await waitUntil(
      () => ledgerOf(id),
      (l) => l.balance === 1000,
      'the top-up',
      30_000,
      200,
    );
    expect(after.grants.map((g) => [g.amount, g.source])).toEqual([[1000, 'purchase']]);
    await cycle('credit-housekeeping-top-up-3');
    const intents = await stripe.paymentIntents.list({ customer: stripeCustomerId });
    expect(intents.data.map((p) => [p.amount, p.status])).toEqual([[1900, 'succeeded']]);
  });
});
