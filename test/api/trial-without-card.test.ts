import type { Dialect } from '../../db/orm';
import { syncCatalog } from '../../integrations/stripe/catalog-sync';
import { customerOnClock, startFullStack, type FullStack } from '../helpers/full-stack';
import { waitUntil } from '../helpers/eventually';

const DAY_S = 86_400;
const TRIAL_DAYS = 14;

describe.each<Dialect>(['sqlite', 'postgresql'])('trials without a card (%s)', (dialect) => {
  let stack: FullStack;
  let admin: string;
  beforeAll(async () => {
    stack = await startFullStack({ taskQueue: `trial-without-card-${dialect}`, dialect });
    admin = await stack.idp.token({ sub: 'admin-cardless', email: 'admin@example.com', roles: ['admin'] });
  }, 120_000);
  afterAll(() => stack?.stop());

  const adminCall = (method: string, path: string, body?: unknown) =>
    stack.api.request(method, `/api/v1${path}`, { token: admin, body });

  /** A $29 plan whose 14-day trials start without a card, synced to Stripe. */
  async function cardlessPlan(code: string, without: 'free' | 'ask_for_card') {
    const created = await adminCall('POST', '/subscriptions/plans', {
      id: code,
      display_name: `Cardless ${code}`,
      price_monthly_cents: 2900,
      trial_days: TRIAL_DAYS,
      trial_without_card: without,
      services: ['chat'],
    });
    expect({ status: created.status, error: created.body.error }).toEqual({ status: 201, error: undefined });
    expect(created.body).toMatchObject({ trial_days: TRIAL_DAYS, trial_without_card: without });
    await syncCatalog(stack.stripe, stack.db.orm);
  }

  /** A customer on a test clock who checks out the plan and starts the trial on Stripe's page, no card typed. */
  async function cardlessTrialist(name: string, plan: string) {
    const who = await customerOnClock(stack, `${name}-${dialect}`);
    const call = (method: string, path: string, body?: unknown) =>
      stack.api.request(method, `/api/v1/billing${path}`, { token: who.token, body });
    const checkout = await call('POST', '/checkout/create', { tier_id: plan, billing_cycle: 'monthly' });
    expect(checkout.status).toBe(200);
    const session = await stack.stripe.checkout.sessions.retrieve(checkout.body.session_id);
    // Nothing is due today, so Stripe's page asks for no card.
    expect({ collection: session.payment_method_collection, total: session.amount_total }).toEqual({
      collection: 'if_required',
      total: 0,
    });
    stack.emulator.completeCheckoutSession(checkout.body.session_id, {});
    const trialing = await waitUntil(who.getSub, (r) => r.body?.status === 'trialing', 'the trial', 60_000);
    expect(trialing.body).toMatchObject({ tier: plan, amount_cents: 2900, awaiting_card: false });
    expect(Date.parse(trialing.body.trial_end) - Date.parse(trialing.body.current_period_start)).toBe(
      TRIAL_DAYS * DAY_S * 1000,
    );
    const cards = await stack.stripe.paymentMethods.list({ customer: who.stripeCustomer.id, type: 'card' });
    expect(cards.data).toEqual([]);
    /** What Stripe charged this customer, oldest first. */
    const charged = async () =>
      (await stack.stripe.invoices.list({ customer: who.stripeCustomer.id, limit: 100 })).data
        .map((i) => i.amount_paid)
        .filter((c) => c > 0)
        .reverse();
    expect(await charged()).toEqual([]);
    const pastTrialEnd = () =>
      stack.stripe.testHelpers.testClocks.advance(who.clock.id, {
        frozen_time: Math.floor(Date.parse(trialing.body.trial_end) / 1000) + DAY_S,
      });
    /** Adds a card through Checkout in setup mode, as the customer would from the payment methods page. */
    const addCard = async () => {
      const setup = await call('POST', '/payment-methods/setup', {});
      expect(setup.status).toBe(200);
      stack.emulator.completeCheckoutSession(setup.body.session_id, { cardNumber: '4242424242424242' });
    };
    return { ...who, call, charged, pastTrialEnd, addCard, trialing: trialing.body };
  }

  it('asks for a card at the end of a trial begun without one: paused without access until a card is added, which resumes and bills the plan', async () => {
    await cardlessPlan(`ask-${dialect}`, 'ask_for_card');
    const t = await cardlessTrialist('ask', `ask-${dialect}`);

    await t.pastTrialEnd();
    const paused = await waitUntil(t.getSub, (r) => r.body?.status === 'paused', 'the pause', 60_000);
    expect(paused.body).toMatchObject({ tier: `ask-${dialect}`, awaiting_card: true });
    const stripeSub = await stack.stripe.subscriptions.retrieve(paused.body.stripe_subscription_id);
    expect(stripeSub.status).toBe('paused');
    expect(await t.charged()).toEqual([]);
    const checkAccess = () =>
      stack.api.request('POST', '/api/v1/subscriptions/check-access/chat', { token: t.token });
    // check-access memoises a caller's access for a couple of seconds.
    await waitUntil(checkAccess, (r) => r.body?.allowed === false, 'access to stop', 10_000, 200);
    // Only a card resumes it: unpausing is refused, naming why.
    const unpause = await t.call('POST', '/subscription/unpause');
    expect({ status: unpause.status, code: unpause.body.error?.code }).toEqual({
      status: 409,
      code: 'card_required',
    });

    await t.addCard();
    const active = await waitUntil(t.getSub, (r) => r.body?.status === 'active', 'the resume', 60_000);
    expect(active.body).toMatchObject({ tier: `ask-${dialect}`, amount_cents: 2900, awaiting_card: false });
    // The card pays a fresh period at the plan's price, once; the API's invoices say the same.
    expect(await t.charged()).toEqual([2900]);
    await waitUntil(checkAccess, (r) => r.body?.allowed === true, 'access to come back', 10_000, 200);
    const invoices = await waitUntil(
      () => t.call('GET', '/invoices'),
      (r) => Array.isArray(r.body) && r.body.some((i: { status: string }) => i.status === 'paid'),
      'the paid invoice in the mirror',
      60_000,
    );
    expect(invoices.body.filter((i: { amount_paid_cents: number }) => i.amount_paid_cents > 0)).toEqual([
      expect.objectContaining({ amount_paid_cents: 2900, status: 'paid' }),
    ]);
    const resumed = await stack.stripe.subscriptions.retrieve(active.body.stripe_subscription_id);
    expect(resumed.status).toBe('active');
  }, 180_000);

  it('ends a trial begun without a card on the free tier when none came, nothing charged, and never a second trial', async () => {
    await cardlessPlan(`free-${dialect}`, 'free');
    const t = await cardlessTrialist('free', `free-${dialect}`);

    await t.pastTrialEnd();
    const free = await waitUntil(t.getSub, (r) => r.body?.status === 'none', 'the free tier', 60_000);
    expect(free.body).toMatchObject({ tier: 'free', subscription_id: null });
    const stripeSub = await stack.stripe.subscriptions.retrieve(t.trialing.stripe_subscription_id);
    expect(stripeSub.status).toBe('canceled');
    expect(await t.charged()).toEqual([]);
    const refused = await t.call('POST', '/checkout/create', {
      tier_id: `free-${dialect}`,
      billing_cycle: 'monthly',
    });
    expect({ status: refused.status, code: refused.body.error?.code }).toEqual({
      status: 409,
      code: 'trial_already_used',
    });
  }, 180_000);

  it('keeps a card added during a trial begun without one, so Stripe converts the trial at its end and bills the plan', async () => {
    await cardlessPlan(`keep-${dialect}`, 'free');
    const t = await cardlessTrialist('keep', `keep-${dialect}`);

    await t.addCard();
    // The card becomes the subscription's own in Stripe, so the trial's end bills it rather than ending.
    await waitUntil(
      () => stack.stripe.subscriptions.retrieve(t.trialing.stripe_subscription_id),
      (s) => typeof s.default_payment_method === 'string',
      "the card on the trial's subscription",
      60_000,
    );
    expect((await t.getSub()).body).toMatchObject({ status: 'trialing', awaiting_card: false });

    await t.pastTrialEnd();
    const active = await waitUntil(t.getSub, (r) => r.body?.status === 'active', 'the conversion', 60_000);
    expect(active.body).toMatchObject({ tier: `keep-${dialect}`, amount_cents: 2900 });
    expect(await t.charged()).toEqual([2900]);
  }, 180_000);

  it('refuses trials without a card where there is no trial or a price is due at signup, naming the field', async () => {
    const noTrial = await adminCall('POST', '/subscriptions/plans', {
      id: `notrial-${dialect}`,
      display_name: 'No trial',
      price_monthly_cents: 1000,
      trial_without_card: 'free',
    });
    expect({
      status: noTrial.status,
      code: noTrial.body.error?.code,
      field: noTrial.body.error?.details?.field,
    }).toEqual({ status: 400, code: 'trial_needs_card', field: 'trial_without_card' });
    const trialTier = await adminCall('PUT', '/subscriptions/plans/trial', {
      trial_without_card: 'ask_for_card',
    });
    expect({ status: trialTier.status, code: trialTier.body.error?.code }).toEqual({
      status: 400,
      code: 'trial_needs_card',
    });
    for (const bad of ['maybe', 1, true, {}, 'FREE', 'free\u0000']) {
      const r = await adminCall('POST', '/subscriptions/plans', {
        id: `bad-${dialect}`,
        display_name: 'Bad',
        price_monthly_cents: 1000,
        trial_days: 7,
        trial_without_card: bad,
      });
      expect({ status: r.status, field: r.body.error?.details?.field }).toEqual({
        status: 400,
        field: 'body.trial_without_card',
      });
    }
    // A plan that has it cannot lose its trial days under it.
    await adminCall('POST', '/subscriptions/plans', {
      id: `shrink-${dialect}`,
      display_name: 'Shrink',
      price_monthly_cents: 1000,
      trial_days: 7,
      trial_without_card: 'free',
    });
    const shrunk = await adminCall('PUT', `/subscriptions/plans/shrink-${dialect}`, { trial_days: 0 });
    expect({ status: shrunk.status, code: shrunk.body.error?.code }).toEqual({
      status: 400,
      code: 'trial_needs_card',
    });
    const cleared = await adminCall('PUT', `/subscriptions/plans/shrink-${dialect}`, {
      trial_days: 0,
      trial_without_card: null,
    });
    expect(cleared.status).toBe(200);
    expect(cleared.body).toMatchObject({ trial_days: 0, trial_without_card: null });
  }, 60_000);
});
