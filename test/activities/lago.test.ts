import { createLagoActivities } from '../../activities/lago';
import { startLagoFake, type LagoFake } from '../../tools/lago-fake';

let fake: LagoFake;
let lago: ReturnType<typeof createLagoActivities>;
beforeAll(async () => {
  fake = await startLagoFake({ port: 0 });
  lago = createLagoActivities({ apiUrl: fake.url, apiKey: fake.apiKey });
});
afterAll(() => fake.stop());
beforeEach(() => fake.reset());

const sub = (
  planCode: string,
  status: 'trialing' | 'active' | 'past_due' | 'canceled' | 'expired' | 'suspended',
) => ({
  subscriptionId: 'subs_1',
  customerId: 'cust_1',
  planCode,
  status,
});

describe('when Lago is not configured', () => {
  it('skips every activity without calling anything', async () => {
    const off = createLagoActivities(null);
    await expect(off.syncLagoCustomer({ customerId: 'c', email: 'c@example.com' })).resolves.toEqual({
      skipped: true,
    });
    await expect(off.syncLagoSubscription(sub('starter', 'active'))).resolves.toEqual({ skipped: true });
    await expect(off.sendLagoUsageBatch([])).resolves.toEqual({ skipped: true });
  });
});

describe('syncLagoCustomer', () => {
  it('upserting the same customer twice leaves one Lago customer with the latest details', async () => {
    const input = { customerId: 'cust_1', email: 'ada@example.com', name: 'Ada' };
    const first = await lago.syncLagoCustomer(input);
    const second = await lago.syncLagoCustomer({ ...input, email: 'ada@lovelace.dev' });
    expect(second).toEqual(first);
    expect(fake.customers()).toEqual([
      expect.objectContaining({ external_id: 'cust_1', email: 'ada@lovelace.dev', name: 'Ada' }),
    ]);
  });
});

describe('syncLagoSubscription', () => {
  it('creates the Lago subscription once, and a second sync changes nothing', async () => {
    await expect(lago.syncLagoSubscription(sub('starter', 'trialing'))).resolves.toEqual({
      skipped: false,
      action: 'created',
    });
    await expect(lago.syncLagoSubscription(sub('starter', 'active'))).resolves.toEqual({
      skipped: false,
      action: 'unchanged',
    });
    expect(fake.subscriptions()).toEqual([
      expect.objectContaining({
        external_id: 'subs_1',
        external_customer_id: 'cust_1',
        plan_code: 'starter',
        status: 'active',
      }),
    ]);
  });

  it('counts value_already_exist on create as done', async () => {
    // Another attempt created it between our look-up and our create: Lago refuses the second create.
    fake.failNext(422, {
      method: 'POST',
      path: '/api/v1/subscriptions',
      body: {
        status: 422,
        error: 'Unprocessable Entity',
        code: 'validation_errors',
        error_details: { external_id: ['value_already_exist'] },
      },
    });
    await expect(lago.syncLagoSubscription(sub('starter', 'active'))).resolves.toEqual({
      skipped: false,
      action: 'unchanged',
    });
  });

  it('refuses to touch a Lago subscription with our id that belongs to another customer', async () => {
    await lago.syncLagoSubscription({ ...sub('starter', 'active'), customerId: 'cust_other' });
    await expect(lago.syncLagoSubscription(sub('professional', 'active'))).rejects.toMatchObject({
      type: 'InvalidRequest',
      nonRetryable: true,
    });
    expect(fake.subscriptions()).toEqual([
      expect.objectContaining({ external_customer_id: 'cust_other', plan_code: 'starter', status: 'active' }),
    ]);
  });

  it('moves a tier change to the new plan at once, downgrades included', async () => {
    await lago.syncLagoSubscription(sub('enterprise', 'active'));
    await expect(lago.syncLagoSubscription(sub('starter', 'active'))).resolves.toEqual({
      skipped: false,
      action: 'plan_changed',
    });
    expect(fake.subscriptions().map((s) => [s.plan_code, s.status])).toEqual([
      ['enterprise', 'terminated'],
      ['starter', 'active'],
    ]);
  });

  it('terminates on cancel, and a second terminate is done rather than an error', async () => {
    await lago.syncLagoSubscription(sub('starter', 'past_due'));
    await expect(lago.syncLagoSubscription(sub('starter', 'canceled'))).resolves.toEqual({
      skipped: false,
      action: 'terminated',
    });
    await expect(lago.syncLagoSubscription(sub('starter', 'expired'))).resolves.toEqual({
      skipped: false,
      action: 'already_terminated',
    });
    expect(fake.subscriptions({ status: 'active' })).toEqual([]);
  });

  it('leaves a suspended subscription as it is in Lago', async () => {
    await lago.syncLagoSubscription(sub('starter', 'active'));
    await expect(lago.syncLagoSubscription(sub('starter', 'suspended'))).resolves.toEqual({
      skipped: false,
      action: 'left_alone',
    });
    expect(fake.subscriptions({ status: 'active' })).toHaveLength(1);
  });

  it('fails non-retryably with InvalidRequest for a plan Lago does not know', async () => {
    await expect(lago.syncLagoSubscription(sub('platinum', 'active'))).rejects.toMatchObject({
      type: 'InvalidRequest',
      nonRetryable: true,
    });
  });
});
