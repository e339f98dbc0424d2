import { startLagoFake, type LagoFake } from '../../tools/lago-fake';
import { call } from './helpers';

let fake: LagoFake;
beforeAll(async () => {
  fake = await startLagoFake({ port: 0 });
});
afterAll(() => fake.stop());
beforeEach(() => fake.reset());

describe('authentication', () => {
  it('refuses a request without a bearer key with 401 in Lago’s envelope', async () => {
    const res = await call(fake, 'GET', '/customers/c-1', undefined, null);
    expect(res).toEqual({ status: 401, body: { status: 401, error: 'Unauthorized' } });
  });

  it('refuses a wrong key and stores nothing', async () => {
    const res = await call(fake, 'POST', '/customers', { customer: { external_id: 'c-1' } }, 'wrong');
    expect(res.status).toBe(401);
    expect(fake.customers()).toEqual([]);
  });
});

describe('customers', () => {
  it('upserts by external_id, changing only the fields sent', async () => {
    const first = await call(fake, 'POST', '/customers', {
      customer: { external_id: 'c-1', email: 'a@example.com', name: 'Ada' },
    });
    const second = await call(fake, 'POST', '/customers', {
      customer: { external_id: 'c-1', email: 'ada@example.com' },
    });
    expect(first.status).toBe(200);
    expect(second.body.customer).toMatchObject({
      lago_id: first.body.customer.lago_id,
      external_id: 'c-1',
      email: 'ada@example.com',
      name: 'Ada',
    });
    expect(fake.customers()).toHaveLength(1);
  });

  it('finds a customer by external_id and answers 404 customer_not_found otherwise', async () => {
    await call(fake, 'POST', '/customers', { customer: { external_id: 'c-2', email: 'b@example.com' } });
    expect((await call(fake, 'GET', '/customers/c-2')).body.customer.email).toBe('b@example.com');
    expect(await call(fake, 'GET', '/customers/nobody')).toEqual({
      status: 404,
      body: { status: 404, error: 'Not Found', code: 'customer_not_found' },
    });
  });

  it('requires an external_id', async () => {
    const res = await call(fake, 'POST', '/customers', { customer: { email: 'x@example.com' } });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({
      code: 'validation_errors',
      error_details: { external_id: ['value_is_mandatory'] },
    });
  });
});

describe('subscriptions', () => {
  const subscribe = (externalId: string, customer: string, plan: string) =>
    call(fake, 'POST', '/subscriptions', {
      subscription: { external_id: externalId, external_customer_id: customer, plan_code: plan },
    });

  it('creates an active subscription on a seeded plan, creating the customer it names', async () => {
    const res = await subscribe('s-1', 'c-1', 'starter');
    expect(res.status).toBe(200);
    expect(res.body.subscription).toMatchObject({
      external_id: 's-1',
      external_customer_id: 'c-1',
      plan_code: 'starter',
      status: 'active',
    });
    expect(fake.customers().map((c) => c.external_id)).toEqual(['c-1']);
  });

  it('answers the same subscription when the same plan is assigned again', async () => {
    const first = await subscribe('s-1', 'c-1', 'starter');
    const again = await subscribe('s-1', 'c-1', 'starter');
    expect(again.body.subscription.lago_id).toBe(first.body.subscription.lago_id);
    expect(fake.subscriptions()).toHaveLength(1);
  });

  it('refuses the external_id of another customer’s active subscription with value_already_exist', async () => {
    await subscribe('s-1', 'c-1', 'starter');
    const res = await subscribe('s-1', 'c-2', 'starter');
    expect(res).toEqual({
      status: 422,
      body: {
        status: 422,
        error: 'Unprocessable Entity',
        code: 'validation_errors',
        error_details: { external_id: ['value_already_exist'] },
      },
    });
  });

  it('answers 404 plan_not_found for an unknown plan code', async () => {
    const res = await subscribe('s-1', 'c-1', 'platinum');
    expect(res.body).toEqual({ status: 404, error: 'Not Found', code: 'plan_not_found' });
  });

  it('upgrades at once and defers a downgrade to the next billing day, as Lago’s plan change does', async () => {
    await subscribe('s-1', 'c-1', 'starter');
    const up = await subscribe('s-1', 'c-1', 'enterprise');
    expect(up.body.subscription).toMatchObject({ plan_code: 'enterprise', previous_plan_code: 'starter' });
    const down = await subscribe('s-1', 'c-1', 'professional');
    expect(down.body.subscription).toMatchObject({ plan_code: 'enterprise', next_plan_code: 'professional' });
    expect(fake.subscriptions().map((s) => [s.plan_code, s.status])).toEqual([
      ['starter', 'terminated'],
      ['enterprise', 'active'],
      ['professional', 'pending'],
    ]);
  });

  it('terminates with DELETE, then answers 404 subscription_not_found', async () => {
    await subscribe('s-1', 'c-1', 'starter');
    const gone = await call(fake, 'DELETE', '/subscriptions/s-1');
    expect(gone.body.subscription).toMatchObject({ status: 'terminated', terminated_at: expect.any(String) });
    const again = await call(fake, 'DELETE', '/subscriptions/s-1');
    expect(again.body).toEqual({ status: 404, error: 'Not Found', code: 'subscription_not_found' });
  });

  it('lists a customer’s active subscriptions unless other statuses are asked for', async () => {
    await subscribe('s-1', 'c-1', 'starter');
    await subscribe('s-2', 'c-1', 'trial');
    await subscribe('s-3', 'c-2', 'starter');
    await call(fake, 'DELETE', '/subscriptions/s-2');
    const active = await call(fake, 'GET', '/subscriptions?external_customer_id=c-1');
    expect(active.body.subscriptions.map((s: { external_id: string }) => s.external_id)).toEqual(['s-1']);
    expect(active.body.meta).toMatchObject({ total_count: 1, current_page: 1 });
    const all = await call(
      fake,
      'GET',
      '/subscriptions?external_customer_id=c-1&status%5B%5D=active&status%5B%5D=terminated',
    );
    expect(all.body.subscriptions).toHaveLength(2);
  });
});
