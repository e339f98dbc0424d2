import { Invoice, Subscription } from '../../db/entities';
import type { Dialect } from '../../db/orm';
import { startFullStack, type FullStack } from '../helpers/full-stack';

async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 60_000;
  let last = await read();
  while (!ok(last)) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 250));
    last = await read();
  }
  return last;
}

describe.each<Dialect>(['sqlite', 'postgresql'])('one trial per card (%s)', (dialect) => {
  let stack: FullStack;
  beforeAll(async () => {
    stack = await startFullStack({ taskQueue: `trial-card-once-${dialect}`, dialect });
  }, 120_000);
  afterAll(() => stack?.stop());

  async function person(name: string) {
    const email = `${name}-${dialect}@example.com`;
    const token = await stack.idp.token({ sub: `kc-${name}-${dialect}`, email });
    const call = (method: string, path: string, body?: unknown) =>
      stack.api.request(method, `/api/v1/billing${path}`, { token, body });
    const getSub = () => call('GET', '/subscription');
    /** Checkout for the trial, paid on Stripe's page with this card; answers the checkout's response. */
    const trialWith = async (cardNumber: string) => {
      const checkout = await call('POST', '/checkout/create', { tier_id: 'trial' });
      if (checkout.status === 200)
        stack.emulator.completeCheckoutSession(checkout.body.session_id, { cardNumber });
      return checkout;
    };
    return { token, call, getSub, trialWith };
  }

  /** The Stripe customer's charges: amount and how much of it went back. */
  async function chargesOf(stripeSubscriptionId: string) {
    const sub = await stack.stripe.subscriptions.retrieve(stripeSubscriptionId);
    const charges = await stack.stripe.charges.list({ customer: sub.customer as string });
    return charges.data.map((c) => ({ amount: c.amount, refunded: c.amount_refunded }));
  }

  it('refuses a card that paid for a trial under another account: 409 when saved, ended and refunded when typed into Checkout', async () => {
    const first = await person('card-first');
    expect((await first.trialWith('4242424242424242')).status).toBe(200);
    const trialing = await eventually(first.getSub, (r) => r.body?.status === 'trialing', 'the first trial');
    const stored = await stack.db.orm.em
      .fork()
      .findOneOrFail(Subscription, { id: trialing.body.subscription_id });
    expect(stored.trialCardFingerprint).toMatch(/^\w+$/);

    // Another account saves the same card number first: refused before any checkout.
    const saver = await person('card-saver');
    const saved = await stack.api.request('POST', '/api/v1/stripe/attach_payment_method', {
      token: saver.token,
      body: { payment_method_id: 'pm_card_visa', make_default: true },
    });
    expect(saved.status).toBe(200);
    const refused = await saver.trialWith('4242424242424242');
    expect({ status: refused.status, code: refused.body.error?.code }).toEqual({
      status: 409,
      code: 'trial_already_used',
    });
    // A paid plan is still open to them.
    expect((await saver.call('POST', '/checkout/create', { tier_id: 'starter' })).status).toBe(200);

    // Another account types the same card into Checkout: Stripe charges the $1.00 before anyone can know
    // the card, so the trial ends at once, never granted, and the $1.00 goes back.
    const typist = await person('card-typist');
    expect((await typist.trialWith('4242 4242 4242 4242')).status).toBe(200);
    const ended = await eventually(
      () =>
        stack.db.orm.em
          .fork()
          .find(Subscription, { customer: { email: `card-typist-${dialect}@example.com` } }),
      (rows) => rows[0]?.status === 'canceled',
      'the refused trial to end',
    );
    const refusedSub = ended[0] as Subscription;
    expect(refusedSub.trialCardFingerprint ?? null).toBeNull();
    expect((await typist.getSub()).body).toMatchObject({ status: 'none', tier: 'free' });
    const stripeSub = await stack.stripe.subscriptions.retrieve(refusedSub.stripeSubscriptionId as string);
    expect(stripeSub.status).toBe('canceled');
    expect(
      await eventually(
        () => chargesOf(refusedSub.stripeSubscriptionId as string),
        (c) => c.length === 1 && c[0]?.refunded === 100,
        'the refund',
      ),
    ).toEqual([{ amount: 100, refunded: 100 }]);
    // Its $1.00 invoice is mirrored though the subscription's workflow had ended when Stripe's invoice
    // events came: the customer and the console see what was charged (and refunded).
    const [stripeInvoice] = (await stack.stripe.invoices.list({ subscription: stripeSub.id })).data;
    const mirrored = await eventually(
      () => stack.db.orm.em.fork().findOne(Invoice, { stripeInvoiceId: stripeInvoice!.id }),
      (row) => row?.status === 'paid',
      "the refused trial's invoice in the mirror",
    );
    expect(mirrored).toMatchObject({ amountPaidCents: 100 });

    // Another card starts a trial as usual.
    const other = await person('card-other');
    expect((await other.trialWith('5555555555554444')).status).toBe(200);
    await eventually(other.getSub, (r) => r.body?.status === 'trialing', 'a trial on another card');
    expect(await chargesOf((await other.getSub()).body.stripe_subscription_id)).toEqual([
      { amount: 100, refunded: 0 },
    ]);
  }, 180_000);
});
