import { Client, WorkflowNotFoundError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import pino from 'pino';
import Stripe from 'stripe';
import { createStripeClient } from '../../integrations/stripe/client';
import { syncCatalog } from '../../integrations/stripe/catalog-sync';
import { createLogger } from '../../config/logger';
import { Charge, Customer, Invoice, PaymentMethod, Subscription, StripeEvent } from '../../db/entities';
import { newId } from '../../db/ids';
import { startStripeEmulator, type StripeEmulator } from '../../tools/stripe-emulator';
import { createWorker } from '../../worker/create-worker';
import { subscriptionState } from '../../workflows/messages';
import { startTestApi, type TestApi } from '../helpers/api';
import { openTestDatabase } from '../helpers/db';
import { waitUntil } from '../helpers/eventually';
import { startDevServer, TEST_NAMESPACE, workflowBundle } from '../helpers/temporal';

const SECRET = 'whsec_webhook_tests';
const signer = new Stripe('sk_test_signer');

function signed(payload: string, secret = SECRET, timestamp?: number): string {
  return signer.webhooks.generateTestHeaderString({ payload, secret, timestamp });
}

describe('Stripe event intake', () => {
  let env: TestWorkflowEnvironment;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let emulator: StripeEmulator;
  let stripe: Stripe;
  let api: TestApi;
  let worker: Worker;
  let running: Promise<void>;
  /** Every line the API logs, down to debug, parsed. */
  const logLines: { level: number; msg: string; type?: string }[] = [];
  /** What the API asked of Temporal for each workflow, in order: 'signal' or 'signalWithStart'. */
  const asked: { kind: 'signal' | 'signalWithStart'; workflowId: string }[] = [];
  const apiLogger = pino(
    { level: 'debug' },
    { write: (line: string) => void logLines.push(JSON.parse(line) as (typeof logLines)[number]) },
  );

  beforeAll(async () => {
    [env, db, emulator] = await Promise.all([
      startDevServer(),
      openTestDatabase('sqlite'),
      startStripeEmulator({ port: 0 }),
    ]);
    stripe = createStripeClient({ apiBase: emulator.url }) as Stripe;
    await syncCatalog(stripe, db.orm);
    worker = await createWorker({
      connection: env.nativeConnection,
      namespace: TEST_NAMESPACE,
      taskQueue: 'webhooks',
      deps: { orm: db.orm, logger: createLogger('silent', 'test'), stripe },
      workflowBundle: workflowBundle(),
    });
    running = worker.run();
    // The SDK's own client, recording each signal the intake sends before passing it on.
    const temporal = new Client({
      connection: env.connection,
      namespace: TEST_NAMESPACE,
      interceptors: {
        workflow: [
          {
            signal: (input, next) => {
              asked.push({ kind: 'signal', workflowId: input.workflowExecution.workflowId });
              return next(input);
            },
            signalWithStart: (input, next) => {
              asked.push({ kind: 'signalWithStart', workflowId: input.options.workflowId });
              return next(input);
            },
          },
        ],
      },
    });
    api = await startTestApi({
      orm: db.orm,
      temporal,
      logger: apiLogger,
      env: { TEMPORAL_TASK_QUEUE: 'webhooks', STRIPE_API_BASE: emulator.url, STRIPE_WEBHOOK_SECRET: SECRET },
    });
  });
  afterAll(async () => {
    await api?.stop();
    worker?.shutdown();
    await running;
    await emulator?.stop();
    await Promise.all([env?.teardown(), db?.close()]);
  });

  const post = (payload: string, signature: string) =>
    fetch(`${api.url}/api/v1/billing/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      body: payload,
    });

  /** Posts one signed event, which the intake takes (200); `deliver` also waits for it to be handed over. */
  async function accept(id: string, type: string, object: unknown): Promise<void> {
    const payload = event(id, type, object);
    expect((await post(payload, signed(payload))).status).toBe(200);
  }
  async function deliver(id: string, type: string, object: unknown): Promise<void> {
    await accept(id, type, object);
    await api.stripeEventsDrained();
  }

  /** A customer of ours and theirs in Stripe, with no card on file. */
  async function customerInStripe(email: string): Promise<{ customerId: string; stripeCustomerId: string }> {
    const sc = await stripe.customers.create({ email });
    const em = db.orm.em.fork();
    const customerId = newId('cust');
    em.create(Customer, { id: customerId, userId: `u-${email}`, email, stripeCustomerId: sc.id });
    await em.flush();
    return { customerId, stripeCustomerId: sc.id };
  }

  /** A card made from a test token and attached to the Stripe customer. */
  async function attachedCard(stripeCustomerId: string, token = 'tok_visa'): Promise<Stripe.PaymentMethod> {
    const card = await stripe.paymentMethods.create({ type: 'card', card: { token } });
    return stripe.paymentMethods.attach(card.id, { customer: stripeCustomerId });
  }

  /** A customer of ours with a Stripe subscription made outside the engine (as in Stripe's dashboard). */
  async function dashboardSubscription(email: string) {
    const sc = await stripe.customers.create({
      email,
      payment_method: 'pm_card_visa',
      invoice_settings: { default_payment_method: 'pm_card_visa' },
    });
    const em = db.orm.em.fork();
    em.create(Customer, { id: newId('cust'), userId: `u-${email}`, email, stripeCustomerId: sc.id });
    await em.flush();
    const price = (await stripe.prices.list({ lookup_keys: ['starter_v1_monthly'] })).data[0] as Stripe.Price;
    return stripe.subscriptions.create({ customer: sc.id, items: [{ price: price.id }] });
  }

  function event(id: string, type: string, object: unknown, created = Math.floor(Date.now() / 1000)): string {
    return JSON.stringify({
      id,
      object: 'event',
      type,
      created,
      data: { object },
      livemode: false,
      api_version: '2026-02-25.clover',
    });
  }

  it("takes events at seed 003's /billing/webhook too, with the same signature check", async () => {
    const payload = event('evt_alias_1', 'customer.created', { id: 'cus_alias', object: 'customer' });
    const alias = (signature: string) =>
      fetch(`${api.url}/api/v1/billing/webhook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'stripe-signature': signature },
        body: payload,
      });
    expect((await alias('t=1,v1=bad')).status).toBe(400);
    const res = await alias(signed(payload));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: true, duplicate: false });
    expect(await db.orm.em.fork().count(StripeEvent, { id: 'evt_alias_1' })).toBe(1);
  });

  it('answers 400 to a bad signature and records nothing', async () => {
    const payload = event('evt_badsig', 'customer.subscription.updated', {
      id: 'sub_x',
      object: 'subscription',
    });
    const res = await post(payload, signed(payload, 'whsec_someone_else'));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_signature');
    expect(await db.orm.em.fork().count(StripeEvent, { id: 'evt_badsig' })).toBe(0);
  });

  it('answers 400 webhook_timestamp_expired to a rightly signed event older than five minutes', async () => {
    const payload = event('evt_old', 'customer.subscription.updated', {
      id: 'sub_x',
      object: 'subscription',
    });
    const res = await post(payload, signed(payload, SECRET, Math.floor(Date.now() / 1000) - 600));
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('webhook_timestamp_expired');
    expect(body.error.message).toMatch(/timestamp/i);
    expect(await db.orm.em.fork().count(StripeEvent, { id: 'evt_old' })).toBe(0);
  });

  it('calls an old signature made with the wrong secret a bad signature, not an expired one', async () => {
    const payload = event('evt_old_badsig', 'customer.subscription.updated', {
      id: 'sub_x',
      object: 'subscription',
    });
    const old = Math.floor(Date.now() / 1000) - 600;
    const res = await post(payload, signed(payload, 'whsec_someone_else', old));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_signature');
  });

  it('logs catalog events it ignores at debug, not as unrouted events', async () => {
    await accept('evt_cat_price', 'price.updated', { id: 'price_x', object: 'price' });
    await accept('evt_cat_product', 'product.created', { id: 'prod_x', object: 'product' });
    await accept('evt_cat_meter', 'billing.meter.created', { id: 'mtr_x', object: 'billing.meter' });
    // An invoice no live subscription takes is mirrored by a run of its own (its subscription may have
    // ended, as a refused trial's has); an event the engine acts on but cannot place is still reported.
    await accept('evt_cat_invoice', 'invoice.paid', { id: 'in_x', object: 'invoice', customer: 'cus_x' });
    // Paid, its run mirrors its charge with it.
    await accept('evt_cat_paid', 'invoice.paid', {
      id: 'in_y',
      object: 'invoice',
      customer: 'cus_x',
      amount_paid: 100,
      charge: 'ch_y',
    });
    await accept('evt_cat_card', 'payment_method.detached', { id: 'pm_x', object: 'payment_method' });
    await api.stripeEventsDrained();

    const row = await db.orm.em.fork().findOneOrFail(StripeEvent, 'evt_cat_invoice');
    expect(row.workflowId).toBe('invoice-mirror-in_x');
    const paid = await db.orm.em.fork().findOneOrFail(StripeEvent, 'evt_cat_paid');
    expect(paid.workflowId).toBe('invoice-mirror-in_y');
    const unrouted = logLines.filter((l) => l.msg === 'stripe event not routed').map((l) => l.type);
    expect(unrouted).toEqual(['payment_method.detached']);
    const ignored = logLines.filter((l) => l.type?.match(/^(price|product|billing\.meter)\./));
    expect(ignored.map((l) => [l.type, l.level, l.msg])).toEqual(
      ['price.updated', 'product.created', 'billing.meter.created'].map((t) => [
        t,
        20,
        'stripe event ignored: the engine does not act on this type',
      ]),
    );
    const rows = await db.orm.em.fork().find(StripeEvent, { id: { $like: 'evt_cat_%' } });
    expect(rows.every((r) => r.forwardedAt)).toBe(true);
  });

  it('starts the workflow of a subscription made in Stripe, and treats a redelivery as a duplicate', async () => {
    const sub = await dashboardSubscription('dash@example.com');
    const payload = event('evt_dash_1', 'customer.subscription.created', sub);
    const first = await post(payload, signed(payload));
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ received: true, duplicate: false });
    const again = await post(payload, signed(payload));
    expect(await again.json()).toEqual({ received: true, duplicate: true });

    const subscriptionId = `subs_stripe_${sub.id.replace(/^sub_/, '')}`;
    // Acknowledged first, forwarded a moment later: the workflow exists once the forwarder has run.
    await api.stripeEventsDrained();
    const handle = env.client.workflow.getHandle(`subscription-${subscriptionId}`);
    let state = await handle.query(subscriptionState);
    for (let i = 0; i < 100 && state.status !== 'active'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      state = await handle.query(subscriptionState);
    }
    expect(state).toMatchObject({ status: 'active', tier: 'starter', stripeSubscriptionId: sub.id });
    const row = await db.orm.em.fork().findOneOrFail(Subscription, subscriptionId);
    expect(row.status).toBe('active');
    // Made without the plan's metered price, it gets it, so its overage is invoiced too.
    const usage = (await stripe.prices.list({ lookup_keys: ['starter_v1_usage_monthly'] })).data[0];
    for (let i = 0; i < 100 && !(await handle.query(subscriptionState)).usageItemId; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const items = (await stripe.subscriptions.retrieve(sub.id)).items.data.map((it) => it.price.id);
    expect(items.sort()).toEqual([sub.items.data[0]?.price.id, usage?.id].sort());
    expect(await db.orm.em.fork().count(StripeEvent, { id: 'evt_dash_1' })).toBe(1);
  });

  it('starts a run for a subscription made in Stripe without first signalling a run that cannot exist, and signals it from then on', async () => {
    const sub = await dashboardSubscription('dash-once@example.com');
    const workflowId = `subscription-subs_stripe_${sub.id.replace(/^sub_/, '')}`;
    await deliver('evt_dash_once_1', 'customer.subscription.created', sub);
    const handle = env.client.workflow.getHandle(workflowId);
    await waitUntil(
      () => handle.query(subscriptionState),
      (state) => state.status === 'active',
      'the run started from the created event to be active',
    );
    await deliver('evt_dash_once_2', 'customer.subscription.updated', { ...sub, status: 'active' });
    expect(asked.filter((a) => a.workflowId === workflowId).map((a) => a.kind)).toEqual([
      'signalWithStart',
      'signal',
    ]);
  });

  it("signals a paid invoice to its subscription's workflow only after a payment of it failed, and mirrors it either way", async () => {
    const sub = await dashboardSubscription('paid-apart@example.com');
    const subscriptionId = `subs_stripe_${sub.id.replace(/^sub_/, '')}`;
    const started = event('evt_paid_apart_0', 'customer.subscription.created', sub);
    await post(started, signed(started));
    await api.stripeEventsDrained();
    const invoice = (id: string) => ({
      id,
      object: 'invoice',
      customer: sub.customer,
      status: 'paid',
      currency: 'usd',
      total: 900,
      subtotal: 900,
      amount_due: 900,
      amount_paid: 900,
      attempt_count: 1,
      created: Math.floor(Date.now() / 1000),
      parent: { subscription_details: { subscription: sub.id, metadata: {} } },
    });
    // Paid at the first try: no dunning can hold it, so only the mirror hears of it (from the payload).
    await accept('evt_paid_apart_1', 'invoice.paid', invoice('in_paid_first_try'));
    // Failed once (the failure's own event is recorded first), then paid: its workflow may be dunning it.
    await accept('evt_paid_apart_2', 'invoice.payment_failed', invoice('in_paid_after_failure'));
    await accept('evt_paid_apart_3', 'invoice.paid', invoice('in_paid_after_failure'));
    await api.stripeEventsDrained();
    const routedTo = async (id: string) => (await db.orm.em.fork().findOneOrFail(StripeEvent, id)).workflowId;
    expect(await routedTo('evt_paid_apart_1')).toBe('payload-mirror');
    expect(await routedTo('evt_paid_apart_3')).toBe(`${subscriptionId},payload-mirror`);
  });

  it("mirrors a renewal's invoice and charge from the events' payloads, without a run, and an older payload arriving last changes nothing", async () => {
    const sub = await dashboardSubscription('payload-mirror@example.com');
    const paid = await stripe.invoices.retrieve(sub.latest_invoice as string);
    const charge = (await stripe.charges.list({ customer: paid.customer as string }))
      .data[0] as Stripe.Charge;
    expect(paid.status).toBe('paid');
    const draft = {
      ...paid,
      status: 'draft',
      number: null,
      amount_paid: 0,
      attempt_count: 0,
      hosted_invoice_url: null,
    };
    await accept('evt_payload_1', 'invoice.created', draft);
    await accept('evt_payload_2', 'charge.succeeded', charge);
    await accept('evt_payload_3', 'invoice.paid', paid);
    await api.stripeEventsDrained();
    // Stripe delivers the finalization last, its payload older than the payment.
    await accept('evt_payload_4', 'invoice.finalized', { ...draft, status: 'open', number: paid.number });
    await api.stripeEventsDrained();

    const em = db.orm.em.fork();
    const row = await em.findOneOrFail(Invoice, { stripeInvoiceId: paid.id as string });
    expect(row).toMatchObject({ status: 'paid', amountPaidCents: paid.amount_paid, number: paid.number });
    const mirroredCharge = await em.findOneOrFail(Charge, { stripeChargeId: charge.id });
    expect(mirroredCharge).toMatchObject({ status: 'succeeded', amountCents: charge.amount });
    expect(mirroredCharge.invoice?.id).toBe(row.id);
    for (const id of ['evt_payload_1', 'evt_payload_2', 'evt_payload_3', 'evt_payload_4'])
      expect((await em.findOneOrFail(StripeEvent, id)).workflowId).toBe('payload-mirror');
    // No run of the invoice was started: the intake wrote it.
    const described = await env.client.workflow
      .getHandle(`invoice-mirror-${paid.id}`)
      .describe()
      .catch((err: unknown) => err);
    expect(described).toBeInstanceOf(WorkflowNotFoundError);
  });

  it("writes a customer's first card from the attached event's payload, without a run; a second card, or one reported detached first, is read by a run", async () => {
    const { customerId, stripeCustomerId } = await customerInStripe('first-card@example.com');
    const routedTo = async (id: string) => (await db.orm.em.fork().findOneOrFail(StripeEvent, id)).workflowId;
    const cardRun = (id: string) => env.client.workflow.getHandle(`payment-methods-sync-${id}`);

    const first = await attachedCard(stripeCustomerId);
    await deliver('evt_first_card', 'payment_method.attached', first);
    expect(await routedTo('evt_first_card')).toBe('payload-mirror');
    expect(
      await cardRun('evt_first_card')
        .describe()
        .catch((err: unknown) => err),
    ).toBeInstanceOf(WorkflowNotFoundError);
    const row = await db.orm.em.fork().findOneOrFail(PaymentMethod, { stripePaymentMethodId: first.id });
    expect(row).toMatchObject({
      customer: { id: customerId },
      type: 'card',
      brand: first.card?.brand,
      last4: first.card?.last4,
      expMonth: first.card?.exp_month,
      expYear: first.card?.exp_year,
      fingerprint: first.card?.fingerprint,
      // Stripe's customer has no invoice default, and the payload could not have said so either way.
      isDefault: false,
      detachedAt: null,
    });

    // A second card: which one pays is Stripe's customer's to say, so a run reads them.
    const second = await attachedCard(stripeCustomerId, 'tok_mastercard');
    await deliver('evt_second_card', 'payment_method.attached', second);
    expect(await routedTo('evt_second_card')).toBe('payment-methods-sync-evt_second_card');
    await cardRun('evt_second_card').result();
    const cards = await db.orm.em
      .fork()
      .find(PaymentMethod, { customer: customerId }, { orderBy: { last4: 'asc' } });
    expect(cards.map((c) => c.stripePaymentMethodId).sort()).toEqual([first.id, second.id].sort());

    // Another customer's first card, its detachment received before its attachment: only Stripe knows.
    const other = await customerInStripe('detached-first@example.com');
    const gone = await attachedCard(other.stripeCustomerId);
    await stripe.paymentMethods.detach(gone.id);
    await deliver('evt_gone_detached', 'payment_method.detached', { ...gone, customer: null });
    await deliver('evt_gone_attached', 'payment_method.attached', gone);
    expect(await routedTo('evt_gone_attached')).toBe('payment-methods-sync-evt_gone_attached');
    await cardRun('evt_gone_attached').result();
    const goneRow = await db.orm.em.fork().findOne(PaymentMethod, { stripePaymentMethodId: gone.id });
    expect(goneRow === null || goneRow.detachedAt !== null).toBe(true);
  });

  it('shows a first card written from its payload as the default once a subscription comes to life charging it', async () => {
    const { stripeCustomerId } = await customerInStripe('charged-card@example.com');
    const card = await attachedCard(stripeCustomerId);
    const row = () => db.orm.em.fork().findOneOrFail(PaymentMethod, { stripePaymentMethodId: card.id });
    await deliver('evt_charged_card', 'payment_method.attached', card);
    expect(await row()).toMatchObject({ isDefault: false });

    const price = (await stripe.prices.list({ lookup_keys: ['starter_v1_monthly'] })).data[0] as Stripe.Price;
    const sub = await stripe.subscriptions.create({
      customer: stripeCustomerId,
      items: [{ price: price.id }],
      default_payment_method: card.id,
    });
    await deliver('evt_charged_card_sub', 'customer.subscription.created', sub);
    const subscriptionId = `subs_stripe_${sub.id.replace(/^sub_/, '')}`;
    await waitUntil(
      async () => (await db.orm.em.fork().findOne(Subscription, subscriptionId))?.status,
      (status) => status === 'active',
      'the subscription to come to life',
      10_000,
    );
    expect(await row()).toMatchObject({ isDefault: true, detachedAt: null });
  });

  it("leaves to the object's run what a payload cannot mirror: an invoice naming its coupons unexpanded, a refunded charge, another API version", async () => {
    const sub = await dashboardSubscription('payload-fallback@example.com');
    const paid = await stripe.invoices.retrieve(sub.latest_invoice as string);
    const charge = (await stripe.charges.list({ customer: paid.customer as string }))
      .data[0] as Stripe.Charge;
    const deliver = async (id: string, type: string, object: unknown, apiVersion?: string) => {
      const payload = JSON.stringify({
        ...JSON.parse(event(id, type, object)),
        ...(apiVersion ? { api_version: apiVersion } : {}),
      });
      expect((await post(payload, signed(payload))).status).toBe(200);
    };
    await deliver('evt_fallback_1', 'invoice.finalized', { ...paid, discounts: ['di_1'] });
    await deliver('evt_fallback_2', 'charge.succeeded', { ...charge, amount_refunded: 100 });
    await deliver('evt_fallback_3', 'invoice.finalized', paid, '2020-08-27');
    await api.stripeEventsDrained();
    const em = db.orm.em.fork();
    for (const id of ['evt_fallback_1', 'evt_fallback_2', 'evt_fallback_3'])
      expect((await em.findOneOrFail(StripeEvent, id)).workflowId).toBe(`invoice-mirror-${paid.id}`);
  });

  it('never moves state backwards when an old event arrives after a newer one', async () => {
    const sub = await dashboardSubscription('order@example.com');
    const subscriptionId = `subs_stripe_${sub.id.replace(/^sub_/, '')}`;
    const handle = env.client.workflow.getHandle(`subscription-${subscriptionId}`);
    const canceled = await stripe.subscriptions.cancel(sub.id);
    // The cancellation's event lands first; the older "active" one comes late.
    const newer = event(
      'evt_order_2',
      'customer.subscription.deleted',
      canceled,
      Math.floor(Date.now() / 1000),
    );
    const older = event(
      'evt_order_1',
      'customer.subscription.created',
      sub,
      Math.floor(Date.now() / 1000) - 60,
    );
    expect((await post(newer, signed(newer))).status).toBe(200);
    expect((await post(older, signed(older))).status).toBe(200);
    // The 2xx comes before the forwarder starts the workflow: wait for it to exist.
    for (
      let i = 0;
      i < 100 &&
      !(await handle.describe().then(
        () => true,
        () => false,
      ));
      i++
    ) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const result = await handle.result();
    expect(result.status).toBe('canceled');
    const row = await db.orm.em.fork().findOneOrFail(Subscription, subscriptionId);
    expect(row.status).toBe('canceled');
  });

  it('acknowledges an event type it does not handle', async () => {
    const payload = event('evt_unknown', 'radar.early_fraud_warning.created', {
      id: 'issfr_1',
      object: 'radar.early_fraud_warning',
    });
    const res = await post(payload, signed(payload));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: true, duplicate: false });
  });
});
