import { Customer, Plan, Subscription } from '../../db/entities';
import { newId } from '../../db/ids';
import { startFullStack, type FullStack } from '../helpers/full-stack';

const DAY = 86_400_000;

describe.each(['sqlite', 'postgresql'] as const)('one trial per customer (%s)', (dialect) => {
  let stack: FullStack;
  beforeAll(async () => {
    stack = await startFullStack({ taskQueue: `trial-once-${dialect}`, dialect });
  }, 120_000);
  afterAll(() => stack?.stop());

  async function customerWith(
    name: string,
    past?: { tier: string; status: 'expired' | 'canceled' | 'incomplete' },
  ) {
    const email = `${name}-${dialect}@example.com`;
    const token = await stack.idp.token({ sub: `kc-${name}-${dialect}`, email });
    const created = await stack.api.request('POST', '/api/v1/stripe/create_customer', { token, body: {} });
    expect(created.status).toBe(200);
    if (past) {
      const em = stack.db.orm.em.fork();
      const plan = await em.findOneOrFail(Plan, { code: past.tier, isCurrent: true });
      const started = new Date(Date.now() - 30 * DAY);
      em.create(Subscription, {
        id: newId('subs'),
        customer: await em.findOneOrFail(Customer, { email }),
        plan,
        tier: past.tier,
        status: past.status,
        interval: 'month',
        amountCents: plan.priceMonthlyCents,
        trialEnd: past.tier === 'trial' ? new Date(started.getTime() + 7 * DAY) : null,
        createdAt: started,
      });
      await em.flush();
    }
    const checkout = (tier: string) =>
      stack.api.request('POST', '/api/v1/billing/checkout/create', { token, body: { tier_id: tier } });
    return { checkout };
  }

  it('starts a first trial, and refuses a second one after the first ended, however it ended', async () => {
    const fresh = await customerWith('first-trial');
    expect((await fresh.checkout('trial')).status).toBe(200);

    for (const status of ['expired', 'canceled'] as const) {
      const again = await customerWith(`again-${status}`, { tier: 'trial', status });
      const res = await again.checkout('trial');
      expect({ status, code: res.status, error: res.body.error?.code }).toEqual({
        status,
        code: 409,
        error: 'trial_already_used',
      });
      // A paid plan is still open to them.
      expect((await again.checkout('starter')).status).toBe(200);
    }
  });

  it('does not count a trial checkout that was never paid', async () => {
    const abandoned = await customerWith('abandoned', { tier: 'trial', status: 'incomplete' });
    expect((await abandoned.checkout('trial')).status).toBe(200);
  });
});
