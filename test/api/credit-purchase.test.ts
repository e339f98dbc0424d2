import { Charge, CreditPack } from '../../db/entities';
import { newId } from '../../db/ids';
import type { Dialect } from '../../db/orm';
import { sqlFor } from '../../db/raw-sql';
import { workflowIds } from '../../workflows/ids';
import { waitUntil } from '../helpers/eventually';
import { startFullStack, starterSubscriber, type FullStack } from '../helpers/full-stack';

const WEBHOOK_SECRET = 'whsec_credit_purchase_test';
/** The starter plan's included credits a month, drawn before prepaid credits. */
const INCLUDED_STARTER = 100;

interface CreditsBody {
  balance: number;
  grants: {
    id: string;
    amount: number;
    remaining: number;
    source: string;
    expires_at: string | null;
    reason: string | null;
    pack_id: string | null;
  }[];
  auto_top_up: { enabled: boolean; threshold: number | null; pack_id: string | null; note: string | null };
}

/**
 * Buying credits end to end: Checkout in payment mode on the emulator, its Stripe event into the purchase
 * workflow on a real Temporal server, refunds taking credits back, and automatic top-ups off-session.
 */
describe.each<Dialect>(['sqlite', 'postgresql'])('buying credits on %s', (dialect) => {
  let stack: FullStack;
  let small: CreditPack;
  let enterpriseOnly: CreditPack;

  beforeAll(async () => {
    stack = await startFullStack({
      taskQueue: `credit-purchase-${dialect}`,
      webhookSecret: WEBHOOK_SECRET,
      dialect,
      apiEnv: () => ({ CREDIT_TOP_UP_RETRY_SECONDS: '1' }),
    });
    const em = stack.db.orm.em.fork();
    const pack = (code: string, credits: number, priceCents: number, planCodes: string[]) =>
      em.create(CreditPack, {
        id: newId('pack'),
        code,
        name: `${credits} credits`,
        credits,
        priceCents,
        currency: 'usd',
        planCodes,
        expiresAfterDays: 365,
        active: true,
        createdAt: new Date(),
        updatedAt: new Date(),
      });
    small = pack(`small-${dialect}`, 1000, 1900, []);
    enterpriseOnly = pack(`big-${dialect}`, 100_000, 90_000, ['enterprise']);
    await em.flush();
  });
  afterAll(() => stack?.stop());

  /** A starter subscriber of this dialect, with a read of their credits. */
  async function subscriber(name: string) {
    const s = await starterSubscriber(stack, `${name}-${dialect}`);
    const credits = async () => (await s.call('GET', '/billing/credits')).body as CreditsBody;
    return { ...s, credits };
  }

  const notifications = async (customerId: string) =>
    (
      await sqlFor(stack.db.orm.em.fork()).run<{ kind: string }>(
        'select kind from notifications where customer_id = ? order by created_at, kind',
        [customerId],
      )
    ).map((n) => n.kind);

  it('grants a paid pack once, whatever Stripe redelivers, and voids what a refund takes back', async () => {
    const { call, credits, customerId, stripeCustomerId } = await subscriber('buyer');

    const notForPlan = await call('POST', '/billing/credits/purchase', { pack_id: enterpriseOnly.id });
    expect(notForPlan.status).toBe(409);
    expect(notForPlan.body.error).toMatchObject({
      code: 'credit_pack_not_for_plan',
      details: { field: 'body.pack_id' },
    });
    const unknown = await call('POST', '/billing/credits/purchase', { pack_id: newId('pack') });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('credit_pack_not_found');
    const foreign = await call('POST', '/billing/credits/purchase', {
      pack_id: small.id,
      success_url: 'https://evil.example/steal',
    });
    expect(foreign.status).toBe(400);
    expect(foreign.body.error.code).toBe('return_url_not_allowed');

    const bought = await call('POST', '/billing/credits/purchase', { pack_id: small.id });
    expect(bought.status).toBe(200);
    expect(bought.body.checkout_url).toMatch(new RegExp(`^${stack.emulator.url}/checkout/cs_test_`));
    const session = await stack.stripe.checkout.sessions.retrieve(bought.body.session_id);
    expect(session).toMatchObject({
      mode: 'payment',
      customer: stripeCustomerId,
      amount_total: 1900,
      currency: 'usd',
      metadata: { kind: 'credit_pack', customer_id: customerId, credit_pack_id: small.id, credits: '1000' },
    });
    expect(session.success_url).toContain('/billing/credits?purchase=');
    // Nothing is granted before Stripe says the payment succeeded.
    expect((await credits()).balance).toBe(0);

    // Stripe sends every event twice: the purchase still grants once.
    stack.emulator.setWebhookBehavior({ duplicate: true });
    try {
      stack.emulator.completeCheckoutSession(session.id, { cardNumber: '4242424242424242' });
      const after = await waitUntil(credits, (c) => c.balance === 1000, 'the purchased credits', 30_000, 200);
      const [grant] = after.grants;
      expect(grant).toMatchObject({ amount: 1000, remaining: 1000, source: 'purchase', pack_id: small.id });
      const expires = new Date(grant!.expires_at!).getTime();
      expect(Math.abs(expires - (Date.now() + 365 * 86_400_000))).toBeLessThan(120_000);
      await stack.emulator.waitForWebhooks();
    } finally {
      stack.emulator.setWebhookBehavior({ duplicate: false });
    }
    // A late redelivery under another event id starts the session's run again once the first has ended:
    // it grants nothing more.
    const purchaseRun = workflowIds.creditPurchase(session.id);
    await stack.env.client.workflow.getHandle(purchaseRun).result();
    const again = await stack.env.client.workflow.execute('creditPurchaseWorkflow', {
      workflowId: purchaseRun,
      taskQueue: `credit-purchase-${dialect}`,
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      args: [session.id],
    });
    expect(again).toMatchObject({ granted: true, credits: 1000 });
    const once = await credits();
    expect({ balance: once.balance, grants: once.grants.length }).toEqual({ balance: 1000, grants: 1 });
    expect(await notifications(customerId)).toEqual(['credits_purchased']);
    const events = await sqlFor(stack.db.orm.em.fork()).run<{ type: string }>(
      "select type from billing_events where customer_id = ? and type like 'credits.%'",
      [customerId],
    );
    // The subscription's own events (created, access, its invoice) are there too; one purchase, one event.
    expect(events.map((e) => e.type)).toEqual(['credits.purchased']);

    // Refunds: 900 of 1900 cents takes back ceil(1000 × 900 / 1900) = 474 credits; the rest takes the rest.
    const paid = await stack.stripe.checkout.sessions.retrieve(session.id);
    await stack.stripe.refunds.create({ payment_intent: paid.payment_intent as string, amount: 900 });
    await waitUntil(credits, (c) => c.balance === 526, 'the refunded share voided', 30_000, 200);
    await stack.stripe.refunds.create({ payment_intent: paid.payment_intent as string });
    const refunded = await waitUntil(credits, (c) => c.balance === 0, 'the whole grant voided', 30_000, 200);
    expect(refunded.grants[0]).toMatchObject({ amount: 1000, remaining: 0 });
    const ledger = await call('GET', '/billing/credits');
    expect(ledger.body.grants).toHaveLength(1);
  });

  it('voids the disputed share of a pack when the dispute is lost, once however often Stripe says so, and nothing when it is won', async () => {
    const { call, credits } = await subscriber('disputer');
    const { emulator, stripe, env, db } = stack;

    /** Buys the small pack through Checkout; answers its charge once the credits are granted. */
    const buy = async (balance: number) => {
      const bought = await call('POST', '/billing/credits/purchase', { pack_id: small.id });
      expect(bought.status).toBe(200);
      emulator.completeCheckoutSession(bought.body.session_id, { cardNumber: '4242424242424242' });
      await waitUntil(credits, (c) => c.balance === balance, 'the pack granted', 30_000, 200);
      const session = await stripe.checkout.sessions.retrieve(bought.body.session_id);
      const intent = await stripe.paymentIntents.retrieve(session.payment_intent as string);
      return { paymentIntent: intent.id, charge: intent.latest_charge as string };
    };
    /** The charge's run for the dispute's `charge.dispute.closed`, ended. */
    const closedMirrored = async (disputeId: string) => {
      const [row] = await waitUntil(
        () =>
          sqlFor(db.orm.em.fork()).run<{ workflow_id: string | null }>(
            "select workflow_id from webhook_events where type = 'charge.dispute.closed' and object_id = ?",
            [disputeId],
          ),
        (rows) => rows.length === 1 && rows[0]!.workflow_id !== null,
        'the closed dispute forwarded',
        30_000,
        200,
      );
      await env.client.workflow.getHandle(row!.workflow_id!).result();
    };

    // Won: the merchant keeps the money, and the customer the credits.
    const first = await buy(1000);
    const won = emulator.openDispute(first.charge) as { id: string };
    emulator.closeDispute(won.id, 'won');
    await closedMirrored(won.id);
    expect((await credits()).balance).toBe(1000);

    // A second pack, 900 of its 1,900 cents refunded (474 credits back), then 500 more disputed and lost:
    // 1,400 of 1,900 cents taken back voids ceil(1000 × 1400 / 1900) = 737 of its credits in all, 263 now.
    const second = await buy(2000);
    await stripe.refunds.create({ payment_intent: second.paymentIntent, amount: 900 });
    await waitUntil(credits, (c) => c.balance === 1526, 'the refunded share voided', 30_000, 200);
    const lost = emulator.openDispute(second.charge, { amount: 500 }) as { id: string };
    // Open, the dispute holds the money but has not taken it: nothing is voided yet.
    const open = await waitUntil(
      () => db.orm.em.fork().findOne(Charge, { stripeChargeId: second.charge }),
      (c) => c?.disputeStatus === 'needs_response',
      'the open dispute mirrored',
      30_000,
      200,
    );
    expect(open?.disputedAmountCents).toBe(500);
    expect((await credits()).balance).toBe(1526);
    // Stripe sends every event twice: the loss voids once.
    emulator.setWebhookBehavior({ duplicate: true });
    try {
      emulator.closeDispute(lost.id, 'lost');
      await waitUntil(credits, (c) => c.balance === 1263, 'the disputed share voided', 30_000, 200);
      await emulator.waitForWebhooks();
      await closedMirrored(lost.id);
    } finally {
      emulator.setWebhookBehavior({ duplicate: false });
    }
    // A late redelivery under another event id mirrors the charge again: it voids nothing more.
    await env.client.workflow.execute('syncChargeWorkflow', {
      workflowId: `charge-sync-redelivered-${lost.id}`,
      taskQueue: `credit-purchase-${dialect}`,
      args: [second.charge],
    });
    const once = await credits();
    expect(once.balance).toBe(1263);
    const grant = once.grants.find((g) => g.remaining !== 1000);
    expect(grant).toMatchObject({ amount: 1000, remaining: 263 });
    const voids = await sqlFor(db.orm.em.fork()).run<{ amount: number }>(
      "select amount from credit_movements where grant_id = ? and kind = 'void' order by amount",
      [grant!.id],
    );
    expect(voids.map((v) => Number(v.amount))).toEqual([263, 474]);

    // Refunds and the lost dispute together never void more than the grant: the last 500 cents take the rest.
    await stripe.refunds.create({ payment_intent: second.paymentIntent, amount: 500 });
    const all = await waitUntil(credits, (c) => c.balance === 1000, 'the whole grant voided', 30_000, 200);
    expect(all.grants.find((g) => g.id === grant!.id)).toMatchObject({ remaining: 0 });
  });

  it('tops up automatically once per crossing with the card on file', async () => {
    const { call, credits, customerId, stripeCustomerId } = await subscriber('topper');
    const noPack = await call('PUT', '/billing/credits/auto-top-up', {
      enabled: true,
      threshold: 500,
      pack_id: null,
    });
    expect(noPack.status).toBe(400);
    expect(noPack.body.error.details).toMatchObject({ field: 'body.pack_id' });
    const foreignPack = await call('PUT', '/billing/credits/auto-top-up', {
      enabled: true,
      threshold: 500,
      pack_id: enterpriseOnly.id,
    });
    expect(foreignPack.status).toBe(409);

    // The balance (0) is below 500 when it is turned on: that is the first crossing.
    const on = await call('PUT', '/billing/credits/auto-top-up', {
      enabled: true,
      threshold: 500,
      pack_id: small.id,
    });
    expect(on.status).toBe(200);
    expect(on.body.auto_top_up).toEqual({ enabled: true, threshold: 500, pack_id: small.id, note: null });
    const topped = await waitUntil(credits, (c) => c.balance === 1000, 'the automatic top-up', 30_000, 200);
    expect(topped.grants[0]).toMatchObject({
      source: 'purchase',
      amount: 1000,
      reason: `Automatic top-up: ${small.name}`,
    });
    // Saving the same settings again finds the balance above the threshold: nothing more is charged.
    await call('PUT', '/billing/credits/auto-top-up', { enabled: true, threshold: 500, pack_id: small.id });
    const intents = await stack.stripe.paymentIntents.list({ customer: stripeCustomerId });
    const topUps = intents.data.filter((p) => p.metadata?.kind === 'credit_top_up');
    expect(topUps.map((p) => [p.amount, p.status])).toEqual([[1900, 'succeeded']]);
    await waitUntil(
      () => notifications(customerId),
      (n) => n.includes('credits_topped_up'),
      'the top-up mail',
    );

    // Usage takes the balance below the threshold again: the report that crossed it starts the next top-up.
    const used = await call('POST', '/billing/report_usage', {
      events: [{ id: `drain-${dialect}`, type: 'inference', quantity: 700 }],
    });
    expect(used.status).toBe(200);
    // 700 units: the period's 100 included credits, then 600 prepaid; 400 left is below 500.
    const again = await waitUntil(
      credits,
      (c) => c.balance === 1000 - (700 - INCLUDED_STARTER) + 1000,
      'the second top-up',
      30_000,
      200,
    );
    expect(again.grants.filter((g) => g.reason?.startsWith('Automatic top-up'))).toHaveLength(2);
  });

  it('retries a declined top-up once, then turns auto top-up off and says why', async () => {
    const { call, credits, customerId, stripeCustomerId } = await subscriber('declined');
    // The customer's card on file now declines every charge.
    const failing = await stack.stripe.paymentMethods.attach('pm_card_chargeCustomerFail', {
      customer: stripeCustomerId,
    });
    await waitUntil(
      () => call('GET', '/billing/payment-methods'),
      (r) => r.body?.length === 2,
      'the declining card in the mirror',
      30_000,
      200,
    );
    expect((await call('POST', `/billing/payment-methods/${failing.id}/default`)).status).toBe(200);

    expect(
      (
        await call('PUT', '/billing/credits/auto-top-up', {
          enabled: true,
          threshold: 100,
          pack_id: small.id,
        })
      ).status,
    ).toBe(200);
    const off = await waitUntil(
      credits,
      (c) => !c.auto_top_up.enabled,
      'auto top-up turned off',
      30_000,
      200,
    );
    expect(off.auto_top_up.note).toMatch(/^Automatic top-up was turned off: .*declined/);
    expect(off.balance).toBe(0);
    const charges = await stack.stripe.charges.list({ customer: stripeCustomerId });
    expect(
      charges.data.filter((c) => c.description?.startsWith('Automatic top-up')).map((c) => c.status),
    ).toEqual(['failed', 'failed']);
    await waitUntil(
      () => notifications(customerId),
      (n) => n.filter((k) => k === 'top_up_declined').length === 2 && n.includes('auto_top_up_disabled'),
      'the decline and turn-off mails',
    );
    // Turning it back on clears the note: the customer decided again.
    const back = await call('PUT', '/billing/credits/auto-top-up', {
      enabled: false,
      threshold: 100,
      pack_id: small.id,
    });
    expect(back.body.auto_top_up).toMatchObject({ enabled: false, note: null });
  });
});
