import { Customer } from '../../db/entities';
import { newId } from '../../db/ids';
import type { Dialect } from '../../db/orm';
import { waitUntil } from '../helpers/eventually';
import { startFullStack, type FullStack } from '../helpers/full-stack';

const WEBHOOK_SECRET = 'whsec_customer_pause_test';

describe.each<Dialect>(['sqlite', 'postgresql'])('a subscriber pausing their own plan on %s', (dialect) => {
  let stack: FullStack;
  beforeAll(async () => {
    stack = await startFullStack({
      taskQueue: `customer-pause-${dialect}`,
      webhookSecret: WEBHOOK_SECRET,
      dialect,
    });
  });
  afterAll(() => stack?.stop());

  async function subscriber(name: string, tier: string) {
    const email = `${name}-${dialect}@example.com`;
    const stripeCustomer = await stack.stripe.customers.create({ email });
    const em = stack.db.orm.em.fork();
    em.create(Customer, {
      id: newId('cust'),
      userId: `kc-${name}-${dialect}`,
      email,
      stripeCustomerId: stripeCustomer.id,
    });
    await em.flush();
    const token = await stack.idp.token({ sub: `kc-${name}-${dialect}`, email });
    const call = (method: string, path: string, body?: unknown) =>
      stack.api.request(method, `/api/v1${path}`, { token, body });
    const checkout = await call('POST', '/billing/checkout/create', {
      tier_id: tier,
      billing_cycle: 'monthly',
    });
    expect(checkout.status).toBe(200);
    stack.emulator.completeCheckoutSession(checkout.body.session_id, { cardNumber: '4242424242424242' });
    await waitUntil(
      () => call('GET', '/billing/subscription'),
      (r) => r.body?.status === 'active',
      'the subscription to be active',
      30_000,
      200,
    );
    return { call, stripeCustomer };
  }

  it('pauses a plan that allows it (Stripe stops collecting, access stops) and unpauses it', async () => {
    const { call, stripeCustomer } = await subscriber('pauser', 'starter');
    expect((await call('GET', '/subscriptions/plans/starter')).body).toMatchObject({ pausable: true });

    const paused = await call('POST', '/billing/subscription/pause', {});
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ success: true, status: 'paused', tier: 'starter' });
    expect((await call('GET', '/billing/subscription')).body).toMatchObject({ status: 'paused' });
    const [inStripe] = (await stack.stripe.subscriptions.list({ customer: stripeCustomer.id })).data;
    expect(inStripe?.pause_collection).toMatchObject({ behavior: expect.any(String) });
    const access = await call('POST', '/subscriptions/check-access/chat');
    expect(access.body).toMatchObject({ allowed: false });

    const twice = await call('POST', '/billing/subscription/pause', {});
    expect(twice.status).toBe(409);
    expect(twice.body.error.code).toBe('invalid_subscription_state');

    const unpaused = await call('POST', '/billing/subscription/unpause', {});
    expect(unpaused.body).toMatchObject({ success: true, status: 'active' });
    const [after] = (await stack.stripe.subscriptions.list({ customer: stripeCustomer.id })).data;
    expect(after?.pause_collection ?? null).toBeNull();
    // check-access memoises a caller's access for a couple of seconds.
    await waitUntil(
      () => call('POST', '/subscriptions/check-access/chat'),
      (r) => r.body?.allowed === true,
      'access to come back after unpausing',
      10_000,
      200,
    );
  }, 120_000);

  it('refuses to pause a plan an admin made unpausable, naming why, and leaves the subscription active', async () => {
    const admin = await stack.idp.token({
      sub: `kc-admin-${dialect}`,
      email: `admin-${dialect}@example.com`,
      roles: ['admin'],
    });
    const { call } = await subscriber('steady', 'professional');
    const edited = await stack.api.request('PUT', '/api/v1/subscriptions/plans/professional', {
      token: admin,
      body: { pausable: false },
    });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ pausable: false });

    const refused = await call('POST', '/billing/subscription/pause', {});
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'pause_not_allowed' });
    expect(refused.body.error.message).toContain('cannot be paused');
    expect((await call('GET', '/billing/subscription')).body).toMatchObject({ status: 'active' });
  }, 120_000);

  it('answers 404 to a caller without a subscription', async () => {
    const token = await stack.idp.token({ sub: `kc-none-${dialect}`, email: `none-${dialect}@example.com` });
    const res = await stack.api.request('POST', '/api/v1/billing/subscription/pause', { token, body: {} });
    expect(res.status).toBe(404);
  });
});
