import { migrateAndWait } from '../helpers/plan-migration';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type Stripe from 'stripe';
import { Notification, Plan } from '../../db/entities';
import type { StripeEmulator } from '../../tools/stripe-emulator';
import type { TestApi } from '../helpers/api';
import { customerOnClock as onClock, startFullStack, type FullStack } from '../helpers/full-stack';
import type { TestIdp } from '../helpers/auth';
import { type openTestDatabase } from '../helpers/db';
import { subscriptionState } from '../../workflows/messages';
import { usageRollupWorkflow } from '../../workflows/usage-rollup';
import { waitUntil } from '../helpers/eventually';

const eventually = <T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string, timeoutMs = 20_000) =>
  waitUntil(read, ok, what, timeoutMs, 100);

const DAY = 24 * 60 * 60;
const WEBHOOK_SECRET = 'whsec_e2e_test_secret';

describe('checkout → payment → subscription → renewal → failed payment, end to end', () => {
  let stack: FullStack;
  let env: TestWorkflowEnvironment;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let idp: TestIdp;
  let emulator: StripeEmulator;
  let stripe: Stripe;
  let api: TestApi;
  let taskQueue: string;

  beforeAll(async () => {
    stack = await startFullStack({ taskQueue: 'e2e-cycle', webhookSecret: WEBHOOK_SECRET });
    ({ env, db, idp, emulator, stripe, api } = stack);
    taskQueue = 'e2e-cycle';
  });

  afterAll(() => stack?.stop());

  const customerOnClock = (name: string) => onClock(stack, name);

  /** Checkout for a plan, paid with a card that works; resolves once the mirror shows it active. */
  async function subscribeAndPay(token: string, getSub: () => ReturnType<TestApi['request']>, tier: string) {
    const checkout = await api.request('POST', '/api/v1/billing/checkout/create', {
      token,
      body: { tier_id: tier },
    });
    emulator.completeCheckoutSession(checkout.body.session_id, { cardNumber: '4242424242424242' });
    const active = await eventually(
      getSub,
      (r) => r.body?.status === 'active',
      'the subscription to be active',
    );
    return { checkout, active };
  }

  it('subscribes through Checkout, renews on the test clock, and starts dunning when a renewal fails', async () => {
    const { clock, stripeCustomer, token, getSub } = await customerOnClock('cyc');

    // Checkout: the API starts the workflow and returns Stripe's hosted page.
    const checkout = await api.request('POST', '/api/v1/billing/checkout/create', {
      token,
      body: { tier_id: 'starter' },
    });
    expect(checkout.status).toBe(200);
    expect(checkout.body.checkout_url).toContain(emulator.url);
    // With no return URLs given, Stripe sends the customer back to pages of the engine's that exist.
    const session = await stripe.checkout.sessions.retrieve(checkout.body.session_id);
    for (const back of [session.success_url, session.cancel_url]) {
      const page = await fetch(String(back).replace('{CHECKOUT_SESSION_ID}', session.id));
      expect({ back, status: page.status }).toEqual({ back, status: 200 });
      expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    }

    // The customer pays with a card that works; Stripe's webhooks drive the workflow to active.
    emulator.completeCheckoutSession(checkout.body.session_id, { cardNumber: '4242424242424242' });
    const active = await eventually(
      getSub,
      (r) => r.body?.status === 'active',
      'the subscription to be active',
    );
    expect(active.body).toMatchObject({ tier: 'starter', amount: 19, amount_cents: 1900, interval: 'month' });
    const firstPeriodEnd = Date.parse(active.body.current_period_end);

    // A month later Stripe renews and the card pays: the mirror moves to the next period.
    await stripe.testHelpers.testClocks.advance(clock.id, {
      frozen_time: Math.floor(firstPeriodEnd / 1000) + DAY,
    });
    const renewed = await eventually(
      getSub,
      (r) => Date.parse(r.body?.current_period_end) > firstPeriodEnd,
      'the renewal to reach the mirror',
    );
    expect(renewed.body.status).toBe('active');
    const invoices = await stripe.invoices.list({ customer: stripeCustomer.id });
    expect(invoices.data.filter((i) => i.status === 'paid')).toHaveLength(2);

    // The customer switches to a card that attaches but fails every later charge.
    const attached = await api.request('POST', '/api/v1/stripe/attach_payment_method', {
      token,
      body: { payment_method_id: 'pm_card_chargeCustomerFail' },
    });
    expect(attached.status).toBe(200);
    expect(attached.body).toMatchObject({ success: true, is_default: true, card: { last4: '0341' } });

    // The next renewal fails: the subscription is past due and a dunning run chases the invoice.
    const secondPeriodEnd = Date.parse(renewed.body.current_period_end);
    await stripe.testHelpers.testClocks.advance(clock.id, {
      frozen_time: Math.floor(secondPeriodEnd / 1000) + DAY,
    });
    const pastDue = await eventually(getSub, (r) => r.body?.status === 'past_due', 'the failed renewal');
    expect(pastDue.body.tier).toBe('starter');
    const failed = (await stripe.invoices.list({ customer: stripeCustomer.id, status: 'open' })).data[0];
    expect(failed).toBeDefined();
    const dunning = env.client.workflow.getHandle(`dunning-${failed?.id}`);
    const status = await eventually(
      () =>
        dunning.describe().then(
          (d) => d.status.name,
          () => 'NOT_STARTED',
        ),
      (name) => name !== 'NOT_STARTED',
      'the dunning run to start',
    );
    expect(status).toBe('RUNNING');
    await eventually(
      () => db.orm.em.fork().count(Notification, { kind: 'payment_failed' }),
      (n) => n === 1,
      'the payment_failed notification',
    );
    await dunning.terminate('end of test');
  });

  it("attaches Stripe's shared test card to each of two customers who add it at the same moment", async () => {
    // `pm_card_visa` is one id for everyone in test mode: each attach makes a card of that customer's own.
    const [a, b] = await Promise.all([customerOnClock('card-a'), customerOnClock('card-b')]);
    const answers = await Promise.all(
      [a, b].map(({ token }) =>
        api.request('POST', '/api/v1/stripe/attach_payment_method', {
          token,
          body: { payment_method_id: 'pm_card_visa' },
        }),
      ),
    );
    expect(answers.map((r) => r.status)).toEqual([200, 200]);
    for (const { stripeCustomer } of [a, b]) {
      const cards = await stripe.paymentMethods.list({ customer: stripeCustomer.id, type: 'card' });
      expect({ customer: stripeCustomer.id, cards: cards.data.length }).toEqual({
        customer: stripeCustomer.id,
        cards: 1,
      });
    }
  });

  it('keeps chasing an invoice that a stale or replayed invoice.paid calls paid while Stripe shows it open', async () => {
    const { clock, stripeCustomer, token, getSub } = await customerOnClock('stale-paid');
    const { active } = await subscribeAndPay(token, getSub, 'starter');
    await api.request('POST', '/api/v1/stripe/attach_payment_method', {
      token,
      body: { payment_method_id: 'pm_card_chargeCustomerFail' },
    });
    await stripe.testHelpers.testClocks.advance(clock.id, {
      frozen_time: Math.floor(Date.parse(active.body.current_period_end) / 1000) + DAY,
    });
    await eventually(getSub, (r) => r.body?.status === 'past_due', 'the failed renewal');
    const open = (await stripe.invoices.list({ customer: stripeCustomer.id, status: 'open' })).data[0]!;
    const dunning = env.client.workflow.getHandle(`dunning-${open.id}`);
    await eventually(
      () =>
        dunning.describe().then(
          (d) => d.status.name,
          () => 'NOT_STARTED',
        ),
      (name) => name === 'RUNNING',
      'the dunning run to start',
    );

    // A correctly signed invoice.paid for the open invoice, under a new event id: what an old event
    // redelivered out of order, or one forged by someone holding the secret, looks like.
    const eventId = `evt_stale_paid_${Date.now()}`;
    const payload = JSON.stringify({
      id: eventId,
      object: 'event',
      type: 'invoice.paid',
      created: Math.floor(Date.now() / 1000),
      data: { object: { ...open, status: 'paid', amount_paid: open.amount_due } },
    });
    const res = await fetch(`${api.url}/api/v1/billing/webhooks/stripe`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET }),
      },
      body: payload,
    });
    expect(res.status).toBe(200);
    await api.stripeEventsDrained();

    // Handled once the workflow, after the event's signal, re-reads the subscription (its last step; a local
    // activity, which the history records as a marker naming it).
    const subscription = env.client.workflow.getHandle(`subscription-${active.body.subscription_id}`);
    const text = (p?: { data?: Uint8Array | null }) => Buffer.from(p?.data ?? []).toString();
    await eventually(
      async () => {
        const events = (await subscription.fetchHistory()).events ?? [];
        const signaled = events.findIndex((e) =>
          text(e.workflowExecutionSignaledEventAttributes?.input?.payloads?.[0]).includes(eventId),
        );
        return (
          signaled >= 0 &&
          events
            .slice(signaled)
            .some((e) =>
              text(e.markerRecordedEventAttributes?.details?.data?.payloads?.[0]).includes(
                '"activity_type":"fetchSubscription"',
              ),
            )
        );
      },
      (handled) => handled,
      'the event to be handled',
    );
    const state = await subscription.query(subscriptionState);
    expect({ dunningInvoices: state.dunningInvoices, status: state.status }).toEqual({
      dunningInvoices: [open.id],
      status: 'past_due',
    });
    expect((await dunning.describe()).status.name).toBe('RUNNING');
    expect((await stripe.invoices.retrieve(open.id)).status).toBe('open');
    expect((await getSub()).body.status).toBe('past_due');
    await dunning.terminate('end of test');
  });

  it('moves a grandfathered subscriber onto a new plan version when an admin migrates them', async () => {
    const { token, getSub } = await customerOnClock('grand');
    const admin = await idp.token({ sub: 'kc-admin', email: 'admin@example.com', roles: ['admin'] });
    const { checkout, active } = await subscribeAndPay(token, getSub, 'professional');
    expect(active.body.amount_cents).toBe(4900);

    // The price goes up: a new version, synced to Stripe by the catalog-sync workflow.
    const changed = await api.request('PUT', '/api/v1/subscriptions/plans/professional', {
      token: admin,
      body: { price_monthly_cents: 5900 },
    });
    expect(changed.body).toMatchObject({ version: 2, grandfathered_subscribers: 1, stripe_sync: 'started' });
    const v2 = await eventually(
      () => db.orm.em.fork().findOneOrFail(Plan, { code: 'professional', version: 2 }),
      (p) => Boolean(p.stripePriceMonthlyId),
      'the new price in Stripe',
    );
    expect((await getSub()).body.amount_cents).toBe(4900);

    // Migrating now (period-end switches run on the workflow's timer, covered by the time-skipping tests).
    const adminCall = (method: string, path: string, body?: unknown) =>
      api.request(method, `/api/v1${path}`, { token: admin, body });
    const migrated = await migrateAndWait(adminCall, 'professional', { when: 'now' });
    expect(migrated).toMatchObject({ version: 2, progress: { candidates: 1, moved: 1, failed: 0 } });
    expect(migrated.subscriptions).toEqual([
      expect.objectContaining({ subscription_id: checkout.body.subscription_id, result: 'applied' }),
    ]);
    const moved = await eventually(
      getSub,
      (r) => r.body?.amount_cents === 5900,
      'the switch to the new price',
    );
    expect(moved.body).toMatchObject({ tier: 'professional', status: 'active' });
    const handle = env.client.workflow.getHandle(`subscription-${checkout.body.subscription_id}`);
    expect((await handle.query(subscriptionState)).priceId).toBe(v2.stripePriceMonthlyId);

    // A second migration finds nobody left on the old version.
    const again = await migrateAndWait(adminCall, 'professional', {});
    expect(again).toMatchObject({ progress: { candidates: 0, moved: 0, failed: 0, percent: 100 } });
  });

  it('invoices usage beyond the included credits on the renewal, through the metered price', async () => {
    const { clock, stripeCustomer: sc, token, getSub } = await customerOnClock('over');
    const { active } = await subscribeAndPay(token, getSub, 'professional');
    const stripeSub = await stripe.subscriptions.retrieve(active.body.stripe_subscription_id);
    const plan = await db.orm.em.fork().findOneOrFail(Plan, { code: 'professional', isCurrent: true });
    expect(stripeSub.items.data.map((i) => i.price.id).sort()).toEqual(
      [plan.stripePriceMonthlyId, plan.stripeUsagePriceMonthlyId].sort(),
    );

    // Seed 001's month: 585 units against 500 included.
    const reported = await api.request('POST', '/api/v1/billing/report_usage', {
      token,
      body: {
        events: [
          { id: 'over-1', type: 'inference', quantity: 400 },
          { id: 'over-2', type: 'embedding', quantity: 185 },
        ],
      },
    });
    expect(reported.body).toMatchObject({ accepted: 2, rejected: 0 });
    const usage = await api.request('GET', '/api/v1/billing/usage', { token });
    expect(usage.body.credits).toMatchObject({
      included_credits: 500,
      used: 585,
      overage: 85,
      overage_cost_cents: 17,
    });

    // The rollup folds the closed one-second windows and sends them to the meter.
    await new Promise((r) => setTimeout(r, 1100));
    const totals = await env.client.workflow.execute(usageRollupWorkflow, {
      workflowId: `usage-rollup-e2e-${Date.now()}`,
      taskQueue,
      args: [{ windowSeconds: 1, maxCycles: 1 }],
    });
    expect(totals).toMatchObject({ events: 2, failedCycles: 0 });
    expect(totals.stripeReported).toBeGreaterThanOrEqual(1);

    // At renewal Stripe bills the month ahead and the overage of the month behind: 85 × 0.2¢ = 17¢, which
    // the engine rated and the cost meter carries as 17 units of 1¢.
    // (The plan's current version, whatever its monthly price: another test may have raised it.)
    const periodEnd = Date.parse(active.body.current_period_end);
    await stripe.testHelpers.testClocks.advance(clock.id, {
      frozen_time: Math.floor(periodEnd / 1000) + DAY,
    });
    await eventually(
      getSub,
      (r) => Date.parse(r.body?.current_period_end) > periodEnd,
      'the renewal to reach the mirror',
    );
    const renewal = (await stripe.invoices.list({ customer: sc.id, limit: 1 })).data[0]!;
    expect(renewal.lines.data).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ amount: plan.priceMonthlyCents, price: plan.stripePriceMonthlyId }),
        expect.objectContaining({ amount: 17, quantity: 17, price: plan.stripeUsagePriceMonthlyId }),
      ]),
    );
    expect(renewal).toMatchObject({ total: plan.priceMonthlyCents + 17, status: 'paid' });
  });
});
