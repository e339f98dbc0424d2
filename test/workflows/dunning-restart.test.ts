import { Context } from '@temporalio/activity';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type Stripe from 'stripe';
import { createActivities } from '../../activities';
import { createStripeClient } from '../../integrations/stripe/client';
import { syncCatalog } from '../../integrations/stripe/catalog-sync';
import { createLogger } from '../../config/logger';
import { Customer } from '../../db/entities';
import { newId } from '../../db/ids';
import { DEFAULT_DUNNING_POLICY } from '../../domain/dunning-policy';
import { startStripeEmulator, type StripeEmulator } from '../../tools/stripe-emulator';
import { dunningWorkflow } from '../../workflows';
import { openTestDatabase } from '../helpers/db';
import { startTimeSkipping, workflowBundle } from '../helpers/temporal';

describe('dunning across a worker crash', () => {
  let env: TestWorkflowEnvironment;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let emulator: StripeEmulator;
  let stripe: Stripe;

  beforeAll(async () => {
    [env, db, emulator] = await Promise.all([
      startTimeSkipping(),
      openTestDatabase('sqlite'),
      startStripeEmulator({ port: 0 }),
    ]);
    stripe = createStripeClient({ apiBase: emulator.url }) as Stripe;
    await syncCatalog(stripe, db.orm);
  });
  afterAll(async () => {
    await emulator?.stop();
    await Promise.all([env?.teardown(), db?.close()]);
  });

  it('finishes on a new worker after the first one dies mid-payment, charging the card once', async () => {
    // An open invoice: the first payment of a subscription failed on a card that declines charges.
    const sc = await stripe.customers.create({ email: 'crash@example.com' });
    await stripe.paymentMethods.attach('pm_card_chargeCustomerFail', { customer: sc.id });
    const failing = (await stripe.paymentMethods.list({ customer: sc.id })).data[0] as Stripe.PaymentMethod;
    const price = (await stripe.prices.list({ lookup_keys: ['starter_v1_monthly'] })).data[0] as Stripe.Price;
    const sub = await stripe.subscriptions.create({
      customer: sc.id,
      items: [{ price: price.id }],
      default_payment_method: failing.id,
      payment_behavior: 'allow_incomplete',
    });
    const invoiceId = (
      typeof sub.latest_invoice === 'string' ? sub.latest_invoice : sub.latest_invoice?.id
    ) as string;
    expect((await stripe.invoices.retrieve(invoiceId)).status).toBe('open');
    const em = db.orm.em.fork();
    const customer = em.create(Customer, {
      id: newId('cust'),
      userId: 'u-crash',
      email: 'crash@example.com',
      stripeCustomerId: sc.id,
    });
    await em.flush();
    // The customer then fixes their card, so the next attempt pays.
    await stripe.paymentMethods.attach('pm_card_visa', { customer: sc.id });
    const good = (await stripe.paymentMethods.list({ customer: sc.id })).data.find(
      (p) => p.card?.last4 === '4242',
    ) as Stripe.PaymentMethod;
    await stripe.subscriptions.update(sub.id, { default_payment_method: good.id });

    const real = createActivities({ orm: db.orm, logger: createLogger('silent', 'test'), stripe });
    const payCalls: number[] = [];
    let crash: (() => void) | undefined;
    const crashed = new Promise<void>((r) => (crash = r));
    // Worker A charges the card, then dies before it can report that the payment went through.
    const dying = {
      ...real,
      payInvoice: async (req: { stripeInvoiceId: string; attempt: number }) => {
        payCalls.push(req.attempt);
        await real.payInvoice(req);
        crash?.();
        await Context.current().cancelled;
        throw new Error('unreachable');
      },
    };
    const workerA = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'dunning-crash',
      workflowBundle: workflowBundle(),
      activities: dying,
      shutdownGraceTime: '100ms',
      // No sticky cache: after the crash, the run's next task must go to the shared queue worker B polls.
      maxCachedWorkflows: 0,
    });
    const runA = workerA.run();
    const handle = await env.client.workflow.start(dunningWorkflow, {
      workflowId: `dunning-${invoiceId}`,
      taskQueue: 'dunning-crash',
      args: [
        {
          stripeInvoiceId: invoiceId,
          subscriptionId: 'subs_crash',
          subscriptionWorkflowId: 'subscription-subs_crash',
          customerId: customer.id,
          email: customer.email,
          hostedInvoiceUrl: null,
          policy: DEFAULT_DUNNING_POLICY,
        },
      ],
    });
    // Awaiting the result is what lets the test server skip the days between attempts.
    const result = handle.result();
    await crashed;
    workerA.shutdown();
    await runA;
    // The server learns of the lost attempt when its start-to-close timeout passes.
    await env.sleep('2 minutes');

    // Worker B picks the run up; Temporal retries the unfinished payment with the same attempt number.
    const workerB = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'dunning-crash',
      workflowBundle: workflowBundle(),
      activities: {
        ...real,
        payInvoice: async (req: { stripeInvoiceId: string; attempt: number }) => {
          payCalls.push(req.attempt);
          return real.payInvoice(req);
        },
      },
    });
    const outcome = await workerB.runUntil(result);

    expect(outcome).toBe('recovered');
    expect(payCalls).toEqual([1, 1]);
    const invoice = await stripe.invoices.retrieve(invoiceId);
    expect(invoice.status).toBe('paid');
    const charges = (await stripe.charges.list({ customer: sc.id, limit: 100 })).data;
    const succeeded = charges.filter((c) => c.status === 'succeeded');
    expect(succeeded).toHaveLength(1);
    expect(succeeded[0]?.amount).toBe(invoice.amount_due);
  });
});
