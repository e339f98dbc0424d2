import type Stripe from 'stripe';
import { Customer } from '../../db/entities';
import { newId } from '../../db/ids';
import type { Dialect } from '../../db/orm';
import type { StripeEmulator } from '../../tools/stripe-emulator';
import type { TestApi } from '../helpers/api';
import type { TestIdp } from '../helpers/auth';
import type { openTestDatabase } from '../helpers/db';
import { waitUntil } from '../helpers/eventually';
import { startFullStack, type FullStack } from '../helpers/full-stack';

const WEBHOOK_SECRET = 'whsec_payment_methods_test';

interface Card {
  id: string;
  card: { last4: string | null };
  is_default: boolean;
}

describe.each<Dialect>(['sqlite', 'postgresql'])('a customer managing their cards on %s', (dialect) => {
  let stack: FullStack;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let idp: TestIdp;
  let emulator: StripeEmulator;
  let stripe: Stripe;
  let api: TestApi;

  beforeAll(async () => {
    stack = await startFullStack({
      taskQueue: `payment-methods-${dialect}`,
      webhookSecret: WEBHOOK_SECRET,
      dialect,
    });
    ({ db, idp, emulator, stripe, api } = stack);
  });
  afterAll(() => stack?.stop());

  /** A customer with a Stripe customer of their own; with a tier, subscribed to it with 4242 at Checkout. */
  async function customer(name: string, tier?: string) {
    const email = `${name}-${dialect}@example.com`;
    const stripeCustomer = await stripe.customers.create({ email });
    const em = db.orm.em.fork();
    em.create(Customer, {
      id: newId('cust'),
      userId: `kc-${name}-${dialect}`,
      email,
      stripeCustomerId: stripeCustomer.id,
    });
    await em.flush();
    const token = await idp.token({ sub: `kc-${name}-${dialect}`, email });
    const call = (method: string, path: string, body?: unknown) =>
      api.request(method, `/api/v1${path}`, { token, body });
    const cards = async () => (await call('GET', '/billing/payment-methods')).body as Card[];
    if (tier) {
      const checkout = await call('POST', '/billing/checkout/create', {
        tier_id: tier,
        billing_cycle: 'monthly',
      });
      expect(checkout.status).toBe(200);
      emulator.completeCheckoutSession(checkout.body.session_id, { cardNumber: '4242424242424242' });
      await waitUntil(
        () => call('GET', '/billing/subscription'),
        (r) => r.body?.status === 'active',
        'the subscription to be active',
        30_000,
        200,
      );
    }
    /** Adds a card through Checkout in setup mode, as the customer would on the hosted page. */
    const addCard = async (cardNumber: string) => {
      const before = (await cards()).length;
      const setup = await call('POST', '/billing/payment-methods/setup', {});
      expect(setup.status).toBe(200);
      expect(setup.body.checkout_url).toMatch(new RegExp(`^${emulator.url}/checkout/cs_test_`));
      emulator.completeCheckoutSession(setup.body.session_id, { cardNumber });
      const after = await waitUntil(
        cards,
        (list) => list.length === before + 1,
        'the added card',
        30_000,
        200,
      );
      return {
        session: setup.body.session_id as string,
        card: after.find((c) => c.card.last4 === cardNumber.slice(-4))!,
      };
    };
    return { call, cards, addCard, stripeCustomer };
  }

  it('adds a card through Checkout in setup mode, makes it the default, and removes the old one, in Stripe and the mirror', async () => {
    const { call, cards, addCard, stripeCustomer } = await customer('carder', 'starter');
    const [first] = await waitUntil(cards, (list) => list.length === 1, 'the Checkout card');
    // Checkout's card pays the subscription, so it is the one shown as the default.
    expect(first).toMatchObject({ card: { last4: '4242' }, is_default: true });

    const only = await call('DELETE', `/billing/payment-methods/${first!.id}`);
    expect(only.status).toBe(409);
    expect(only.body.error).toMatchObject({ code: 'last_payment_method' });
    expect(only.body.error.message).toContain('only card');

    const { session, card: second } = await addCard('5555555555554444');
    expect(second.is_default).toBe(false);
    const inStripe = await stripe.checkout.sessions.retrieve(session);
    expect(inStripe).toMatchObject({ mode: 'setup', customer: stripeCustomer.id, currency: 'usd' });
    expect(inStripe.success_url).toContain('/billing/payment-methods?card_setup=');

    const paying = await call('DELETE', `/billing/payment-methods/${first!.id}`);
    expect(paying.status).toBe(409);
    expect(paying.body.error).toMatchObject({ code: 'default_payment_method' });

    // Back and forth: each choice reaches Stripe, none replays an earlier answer.
    for (const pick of [second, first!, second]) {
      const made = await call('POST', `/billing/payment-methods/${pick.id}/default`);
      expect(made.status).toBe(200);
      expect(made.body).toMatchObject({ success: true, payment_method: { id: pick.id, is_default: true } });
      const customerNow = (await stripe.customers.retrieve(stripeCustomer.id)) as Stripe.Customer;
      expect(customerNow.invoice_settings.default_payment_method).toBe(pick.id);
      const [sub] = (await stripe.subscriptions.list({ customer: stripeCustomer.id })).data;
      expect(sub?.default_payment_method).toBe(pick.id);
      const listed = await cards();
      expect(listed.filter((c) => c.is_default).map((c) => c.id)).toEqual([pick.id]);
    }

    const removed = await call('DELETE', `/billing/payment-methods/${first!.id}`);
    expect(removed.status).toBe(200);
    expect(removed.body).toEqual({ success: true, payment_method_id: first!.id, deleted: true });
    expect((await cards()).map((c) => [c.id, c.is_default])).toEqual([[second.id, true]]);
    const left = await stripe.paymentMethods.list({ customer: stripeCustomer.id });
    expect(left.data.map((pm) => pm.id)).toEqual([second.id]);

    const again = await call('DELETE', `/billing/payment-methods/${first!.id}`);
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe('payment_method_not_found');
  }, 120_000);

  it('shows the card the customer made the default in Stripe’s billing portal, which sends no card event', async () => {
    const { cards, addCard, stripeCustomer } = await customer('portal', 'starter');
    const [first] = await waitUntil(cards, (list) => list.length === 1, 'the Checkout card');
    const { card: second } = await addCard('5555555555554444');
    expect(second.is_default).toBe(false);
    // What the portal does when the customer picks another card: only the customer's update is sent.
    await stripe.customers.update(stripeCustomer.id, {
      invoice_settings: { default_payment_method: second.id },
    });
    const listed = await waitUntil(
      cards,
      (list) => list.find((c) => c.id === second.id)?.is_default === true,
      'the portal’s default in the mirror',
      30_000,
      200,
    );
    expect(listed.map((c) => [c.id, c.is_default])).toEqual(
      expect.arrayContaining([
        [first!.id, false],
        [second.id, true],
      ]),
    );
  }, 120_000);

  it("answers 404 for another customer's card, and lets a customer without a live plan add and remove their only card", async () => {
    const owner = await customer('owner', 'starter');
    const [ownersCard] = await waitUntil(owner.cards, (list) => list.length === 1, "the owner's card");
    const other = await customer('other');
    const { card: othersCard } = await other.addCard('4000056655665556');
    expect(othersCard.is_default).toBe(false);

    for (const [method, path] of [
      ['POST', `/billing/payment-methods/${ownersCard!.id}/default`],
      ['DELETE', `/billing/payment-methods/${ownersCard!.id}`],
    ] as const) {
      const res = await other.call(method, path);
      expect({ path, status: res.status, code: res.body.error?.code }).toEqual({
        path,
        status: 404,
        code: 'payment_method_not_found',
      });
    }
    const stranger = await idp.token({
      sub: `kc-stranger-${dialect}`,
      email: `stranger-${dialect}@example.com`,
    });
    const fromStranger = await api.request('DELETE', `/api/v1/billing/payment-methods/${ownersCard!.id}`, {
      token: stranger,
    });
    expect(fromStranger.status).toBe(404);
    expect(await owner.cards()).toEqual([ownersCard]);
    const ownersInStripe = await stripe.paymentMethods.list({ customer: owner.stripeCustomer.id });
    expect(ownersInStripe.data.map((pm) => pm.id)).toEqual([ownersCard!.id]);

    const removed = await other.call('DELETE', `/billing/payment-methods/${othersCard.id}`);
    expect(removed.status).toBe(200);
    expect(await other.cards()).toEqual([]);
  }, 120_000);

  it('refuses a card id that is not one', async () => {
    const token = await idp.token({ sub: `kc-typo-${dialect}`, email: `typo-${dialect}@example.com` });
    const res = await api.request('POST', '/api/v1/billing/payment-methods/card_1/default', { token });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'validation_failed', details: { field: 'params.id' } });
  });
});
