import { Customer } from '../../db/entities';
import { recordBillingEvent } from '../../db/billing-events';
import { newId } from '../../db/ids';
import type { Dialect } from '../../db/orm';
import { sqlFor } from '../../db/raw-sql';
import { waitUntil } from '../helpers/eventually';
import { startFullStack, type FullStack } from '../helpers/full-stack';
import { startSmtp } from '../helpers/smtp';
import { startWebhookReceiver } from '../helpers/webhook-receiver';

const STRIPE_SECRET = 'whsec_webhooks_out_test';

/**
 * Outgoing webhooks end to end: the admin API, the real producers (a checkout, Stripe's duplicated
 * webhooks), the dispatcher and queue workflows on a real Temporal server, and a receiver that checks
 * every signature on its own, fails, times out, and is sent a delivery again.
 */
describe.each<Dialect>(['sqlite', 'postgresql'])('outgoing webhooks on %s', (dialect) => {
  let stack: FullStack;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let admin: string;
  const taskQueue = `webhooks-out-${dialect}`;

  beforeAll(async () => {
    [receiver, smtp] = await Promise.all([startWebhookReceiver(), startSmtp()]);
    stack = await startFullStack({
      taskQueue,
      dialect,
      webhookSecret: STRIPE_SECRET,
      apiEnv: () => ({ WEBHOOK_ALLOW_PRIVATE_URLS: 'true' }),
      workerEnv: {
        WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
        WEBHOOK_FIRST_RETRY_MS: '200',
        WEBHOOK_MAX_RETRY_DELAY_MS: '800',
        WEBHOOK_TIMEOUT_MS: '1000',
        // About eight seconds: the first test's failures last two or three.
        WEBHOOK_DISABLE_AFTER_DAYS: '0.0001',
        OPERATOR_EMAILS: 'ops@example.com,oncall@example.com',
      },
      mail: { url: smtp.url, from: 'billing@example.com' },
    });
    admin = await stack.idp.token({ sub: `admin-${dialect}`, email: 'ops@example.com', roles: ['admin'] });
    await stack.env.client.workflow.start('webhookDispatchWorkflow', {
      workflowId: `webhook-dispatch-${taskQueue}`,
      taskQueue,
      args: [{ waitMs: 300, sweepEvery: 2, strandedAfterMs: 1000 }],
    });
  });
  afterAll(async () => {
    await stack?.env.client.workflow
      .getHandle(`webhook-dispatch-${taskQueue}`)
      .terminate()
      .catch(() => undefined);
    await stack?.stop();
    await Promise.all([receiver?.stop(), smtp?.stop()]);
  });

  const call = (method: string, path: string, body?: unknown) =>
    stack.api.request(method, `/api/v1/admin/billing${path}`, { token: admin, body });

  async function endpoint(eventTypes: string[], url = receiver.url) {
    const made = await call('POST', '/webhook-endpoints', { url, event_types: eventTypes });
    expect(made.status).toBe(201);
    return made.body as { id: string; secret: string };
  }

  /** A customer of the mirror, for events about them. */
  async function customerRow(name: string): Promise<string> {
    const em = stack.db.orm.em.fork();
    const c = em.create(Customer, {
      id: newId('cust'),
      userId: `kc-${name}-${dialect}`,
      email: `${name}-${dialect}@example.com`,
    });
    await em.flush();
    return c.id;
  }

  /** The customer's events in the order they happened, as the outbox has them. */
  const eventsOf = async (customerId: string) =>
    (
      await sqlFor(stack.db.orm.em.fork()).run<{ id: string; type: string }>(
        'select id, type from billing_events where customer_id = ? order by created_at, id',
        [customerId],
      )
    ).map((e) => `${e.type} ${e.id}`);

  it('delivers each event signed, in order per customer, once per success, through failures and a timeout', async () => {
    const { secret, id: endpointId } = await endpoint([
      'subscription.created',
      'subscription.updated',
      'access.changed',
      'invoice.paid',
    ]);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    receiver.secret = secret;
    // The secret is answered once and stored only sealed.
    const listed = await call('GET', '/webhook-endpoints');
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    const [row] = await sqlFor(stack.db.orm.em.fork()).run<Record<string, unknown>>(
      'select * from webhook_endpoints where id = ?',
      [endpointId],
    );
    expect(JSON.stringify(row)).not.toContain(secret.slice('whsec_'.length, 20));

    // Two failures and a timeout before anything gets through; Stripe sends each of its webhooks twice.
    receiver.answers.push(500, 503, 'hang');
    stack.emulator.setWebhookBehavior({ duplicate: true });
    const email = `hooks-${dialect}@example.com`;
    const stripeCustomer = await stack.stripe.customers.create({ email });
    const em = stack.db.orm.em.fork();
    const customer = em.create(Customer, {
      id: newId('cust'),
      userId: `kc-hooks-${dialect}`,
      email,
      stripeCustomerId: stripeCustomer.id,
    });
    await em.flush();
    const token = await stack.idp.token({ sub: `kc-hooks-${dialect}`, email });
    const checkout = await stack.api.request('POST', '/api/v1/billing/checkout/create', {
      token,
      body: { tier_id: 'starter', billing_cycle: 'monthly' },
    });
    expect(checkout.status).toBe(200);
    stack.emulator.completeCheckoutSession(checkout.body.session_id, { cardNumber: '4242424242424242' });
    await stack.emulator.waitForWebhooks();
    stack.emulator.setWebhookBehavior({ duplicate: false });

    await waitUntil(
      async () => {
        const now = await eventsOf(customer.id);
        const delivered = receiver.delivered().filter((r) => r.customerId === customer.id);
        return { now, delivered: delivered.map((r) => `${r.type} ${r.id}`) };
      },
      (s) => s.now.length >= 3 && s.delivered.length === s.now.length,
      'every event of the checkout delivered',
      60_000,
      200,
    );
    const outbox = await eventsOf(customer.id);
    const types = outbox.map((e) => e.split(' ')[0]);
    // One outgoing event per business fact, however often Stripe told us.
    expect(types.filter((t) => t === 'subscription.created')).toHaveLength(1);
    expect(types.filter((t) => t === 'invoice.paid')).toHaveLength(1);
    expect(types).toContain('access.changed');

    const mine = receiver.received.filter((r) => r.customerId === customer.id);
    expect(mine.every((r) => r.verified)).toBe(true);
    // In the outbox's order, each answered 2xx exactly once.
    expect(
      receiver
        .delivered()
        .filter((r) => r.customerId === customer.id)
        .map((r) => `${r.type} ${r.id}`),
    ).toEqual(outbox);
    // The first event took the failures; nothing after it went out before it got through.
    expect(mine.slice(0, 4).map((r) => [r.id, r.answer])).toEqual([
      [mine[0]!.id, 500],
      [mine[0]!.id, 503],
      [mine[0]!.id, 'hang'],
      [mine[0]!.id, 200],
    ]);
    const created = mine.find((r) => r.type === 'subscription.created')!;
    expect(created.body).toMatchObject({
      id: created.id,
      type: 'subscription.created',
      customer: { id: customer.id, email, user_id: `kc-hooks-${dialect}` },
      data: { tier: 'starter', status: expect.stringMatching(/^(active|trialing)$/), amount_cents: 1900 },
    });
    // What the webhook says of the subscription is what the API answers.
    const api = await stack.api.request('GET', '/api/v1/billing/subscription', { token });
    const latest = [...mine].reverse().find((r) => r.type.startsWith('subscription.'))!;
    expect(latest.body.data).toEqual(api.body);

    // The log shows every attempt of the first delivery: status, or the timeout, with what came back.
    const log = await call('GET', `/webhook-endpoints/${endpointId}/deliveries?limit=100`);
    expect(log.status).toBe(200);
    const first = (
      log.body.deliveries as { event_id: string; attempt_log: Record<string, unknown>[] }[]
    ).find((d) => d.event_id === mine[0]!.id)!;
    expect(first.attempt_log.map((a) => [a.status_code, a.error, a.ok])).toEqual([
      [200, null, true],
      [null, 'timeout', false],
      [503, null, false],
      [500, null, false],
    ]);
    // A hostile answer's control characters never reach the log.
    expect(first.attempt_log[3]!.response_excerpt).toBe('failing with 500[31m');
  });

  it('sends a delivery again when an admin asks, outside the queue, and logs it as manual', async () => {
    const { secret, id: endpointId } = await endpoint(['credits.purchased']);
    receiver.secret = secret;
    const customerId = await customerRow('redeliver');
    await recordBillingEvent(sqlFor(stack.db.orm.em.fork()), {
      customerId,
      type: 'credits.purchased',
      payload: { grant_id: newId('cgr'), credits: 1000 },
      dedupeKey: `credits.purchased:redeliver-${dialect}`,
      at: new Date(),
    });
    await waitUntil(
      async () => receiver.delivered().filter((r) => r.customerId === customerId).length,
      (n) => n === 1,
      'the purchase delivered',
      30_000,
      100,
    );
    const log = await call('GET', `/webhook-endpoints/${endpointId}/deliveries`);
    const delivery = log.body.deliveries[0] as { id: string; event_id: string };
    const again = await call('POST', `/webhook-deliveries/${delivery.id}/redeliver`);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({
      delivered: true,
      attempt: { ok: true, manual: true, status_code: 200 },
    });
    const twice = receiver.delivered().filter((r) => r.customerId === customerId);
    // The same event, the same webhook-id: a receiver that drops repeats sees it once.
    expect(twice.map((r) => r.id)).toEqual([delivery.event_id, delivery.event_id]);
    expect(twice.every((r) => r.verified)).toBe(true);

    const missing = await call('POST', `/webhook-deliveries/${newId('whd')}/redeliver`);
    expect(missing.status).toBe(404);
  });

  it('turns off an endpoint that fails for the whole window, mails the operators once, and resumes when turned on', async () => {
    const dead = await startWebhookReceiver();
    try {
      dead.otherwise = 500;
      const { secret, id: endpointId } = await endpoint(['credits.low'], dead.url);
      dead.secret = secret;
      const customerId = await customerRow('dead');
      const sql = sqlFor(stack.db.orm.em.fork());
      for (const n of [1, 2])
        await recordBillingEvent(sql, {
          customerId,
          type: 'credits.low',
          payload: { threshold: 100, value: 10 * n },
          dedupeKey: `credits.low:dead-${dialect}-${n}`,
          at: new Date(Date.now() + n),
        });
      // The mail server refuses at first: the mail is sent once it takes mail again, never twice.
      smtp.refuse = true;
      await waitUntil(
        async () => (await call('GET', `/webhook-endpoints/${endpointId}`)).body,
        (e) => e.enabled === false,
        'the failing endpoint to be turned off',
        60_000,
        250,
      );
      smtp.refuse = false;
      const off = (await call('GET', `/webhook-endpoints/${endpointId}`)).body;
      expect(off.disabled_reason).toMatch(/^every attempt failed since /);
      expect(off.pending_deliveries).toBe(2);
      await waitUntil(
        async () => smtp.received.filter((m) => m.data.includes(endpointId)),
        (m) => m.length === 1,
        'the operators to be mailed',
        10_000,
        100,
      );
      expect(smtp.received.find((m) => m.data.includes(endpointId))!.to).toEqual([
        'ops@example.com',
        'oncall@example.com',
      ]);
      // Only the first event was tried: the second waits behind it.
      expect(new Set(dead.received.map((r) => r.id)).size).toBe(1);

      dead.otherwise = 200;
      const on = await call('PATCH', `/webhook-endpoints/${endpointId}`, { enabled: true });
      expect(on.body).toMatchObject({ enabled: true, disabled_at: null, failing_since: null });
      await waitUntil(
        async () => dead.delivered().map((r) => r.body.data as { value: number }),
        (d) => d.length === 2,
        'both events delivered once the endpoint is back on',
        30_000,
        200,
      );
      expect(dead.delivered().map((r) => (r.body.data as { value: number }).value)).toEqual([10, 20]);
      expect(smtp.received.filter((m) => m.data.includes(endpointId))).toHaveLength(1);
    } finally {
      await dead.stop();
    }
  });
});
