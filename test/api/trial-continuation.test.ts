import { Customer, Invoice, Subscription } from '../../db/entities';
import { newId } from '../../db/ids';
import type { Dialect } from '../../db/orm';
import { TRIAL_DECISION_BEFORE_END_MS } from '../../domain/trial';
import { startFullStack, type FullStack } from '../helpers/full-stack';

const DAY_S = 86_400;
/** The trial is decided this many real seconds after checkout (the workflow's timer runs in real time). */
const LEAD_S = 20;

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

/** A Luhn-valid test card number of its own (one card pays for one trial): Stripe's test mode accepts it. */
function cardNumber(seq: number): string {
  const body = `4000${String(seq).padStart(11, '0')}`;
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return `${body}${(10 - (sum % 10)) % 10}`;
}
let cards = 0;

/** A promise awaited later by its test: its failure is that test's, not an unhandled rejection now. */
function settled<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

describe.each<Dialect>(['sqlite', 'postgresql'])('the trial tier on %s', (dialect) => {
  let stack: FullStack;
  const trialists: Record<string, ReturnType<typeof trialist>> = {};
  type Trialist = Awaited<ReturnType<typeof trialist>>;
  let signupPick: Promise<Trialist & { shown: Awaited<ReturnType<Trialist['getSub']>> }>;
  beforeAll(async () => {
    stack = await startFullStack({ taskQueue: `trial-continuation-${dialect}`, dialect });
    // Each trial is decided LEAD_S real seconds after it starts: starting them together waits that out once.
    for (const name of ['continues', 'lapses'] as const) trialists[name] = settled(trialist(name));
    // What the trial shows of the pick is read while it lasts, before the later test's turn comes.
    signupPick = settled(
      trialist('signup-pick', { tier_id: 'professional', billing_cycle: 'monthly' }).then(async (t) => ({
        ...t,
        shown: await eventually(t.getSub, (r) => r.body?.pending_change !== null, 'the pick to show'),
      })),
    );
  }, 120_000);
  afterAll(() => stack?.stop());

  /**
   * A customer on a Stripe test clock set so the 7-day trial they start now is decided LEAD_S seconds from
   * now in real time, with a card on file (Stripe alone would convert it at $1/month).
   */
  async function trialist(
    name: string,
    continuation?: { tier_id: string; billing_cycle: 'monthly' | 'yearly' },
  ) {
    const { stripe, db, idp, api, emulator } = stack;
    const decideAt = Math.floor(Date.now() / 1000) + LEAD_S;
    const frozen = decideAt + TRIAL_DECISION_BEFORE_END_MS / 1000 - 7 * DAY_S;
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: frozen });
    const email = `${name}-${dialect}@example.com`;
    const stripeCustomer = await stripe.customers.create({ email, test_clock: clock.id });
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
      api.request(method, `/api/v1/billing${path}`, { token, body });
    const getSub = () => call('GET', '/subscription');
    const checkout = await call('POST', '/checkout/create', {
      tier_id: 'trial',
      ...(continuation ? { continuation } : {}),
    });
    expect(checkout.status).toBe(200);
    emulator.completeCheckoutSession(checkout.body.session_id, { cardNumber: cardNumber(++cards) });
    const trialing = await eventually(getSub, (r) => r.body?.status === 'trialing', 'the trial to start');
    expect(trialing.body).toMatchObject({ tier: 'trial', amount_cents: 100 });
    expect(Date.parse(trialing.body.trial_end)).toBe((frozen + 7 * DAY_S) * 1000);
    /** What Stripe charged this customer, oldest first. */
    const invoicedCents = async () => {
      const invoices = await stripe.invoices.list({ customer: stripeCustomer.id, limit: 100 });
      return invoices.data
        .map((i) => i.amount_paid)
        .filter((c) => c > 0)
        .reverse();
    };
    // Signup costs $1.00 once, charged at checkout although the trial defers the recurring price: Stripe
    // bills it, the mirror stores it and the API answers it, all as 100 cents.
    const session = await stripe.checkout.sessions.retrieve(checkout.body.session_id);
    expect({ total: session.amount_total, paid: session.payment_status }).toEqual({
      total: 100,
      paid: 'paid',
    });
    expect(await invoicedCents()).toEqual([100]);
    const signupInvoice = session.invoice as string;
    const listed = await eventually(
      () => call('GET', '/invoices'),
      (r) => Array.isArray(r.body) && r.body.some((i: { id: string }) => i.id === signupInvoice),
      'the signup invoice in the mirror',
    );
    expect(listed.body).toEqual([
      expect.objectContaining({ id: signupInvoice, amount_paid_cents: 100, amount_paid: 1, status: 'paid' }),
    ]);
    const stored = await db.orm.em.fork().findOneOrFail(Invoice, { stripeInvoiceId: signupInvoice });
    expect({ paid: stored.amountPaidCents, total: stored.totalCents }).toEqual({ paid: 100, total: 100 });
    // Stripe itself ends the trial on day 7 unless the engine converts it first.
    const stripeSubId = trialing.body.stripe_subscription_id as string;
    const ends = await eventually(
      () => stripe.subscriptions.retrieve(stripeSubId),
      (s) => s.cancel_at !== null,
      'cancel_at on the trial',
    );
    expect(ends.cancel_at).toBe(frozen + 7 * DAY_S);
    return {
      call,
      getSub,
      trialEnd: trialing.body.trial_end as string,
      stripeCustomer,
      stripeSubId,
      invoicedCents,
    };
  }

  it('charges $1.00 at signup and becomes the plan picked during the trial on day 7, billed at that plan’s price without a new checkout', async () => {
    const { call, getSub, trialEnd, invoicedCents } = await trialists.continues!;
    expect((await getSub()).body.pending_change).toBeNull();
    const picked = await call('POST', '/trial/continuation', {
      tier_id: 'starter',
      billing_cycle: 'monthly',
    });
    expect(picked.status).toBe(200);
    const continuation = {
      tier: 'starter',
      billing_cycle: 'monthly',
      interval: 'month',
      amount: 19,
      amount_cents: 1900,
      effective_at: trialEnd,
    };
    expect(picked.body).toEqual({ success: true, continuation });
    const shown = await eventually(getSub, (r) => r.body?.pending_change !== null, 'the pick to show');
    expect(shown.body).toMatchObject({ status: 'trialing', tier: 'trial', pending_change: continuation });

    const active = await eventually(getSub, (r) => r.body?.status === 'active', 'the conversion');
    expect(active.body).toMatchObject({ tier: 'starter', amount_cents: 1900, pending_change: null });
    const converted = await stack.stripe.subscriptions.retrieve(active.body.stripe_subscription_id);
    expect({ status: converted.status, cancel_at: converted.cancel_at }).toEqual({
      status: 'active',
      cancel_at: null,
    });
    // What the API says is what Stripe billed: the $1.00 signup, then the picked plan's first month.
    expect(await eventually(invoicedCents, (c) => c.length > 1, 'the first paid period')).toEqual([
      100, 1900,
    ]);
  }, 120_000);

  it('becomes the plan picked at signup on day 7, billed at that plan’s price without a new checkout', async () => {
    const { getSub, trialEnd, invoicedCents, shown } = await signupPick;
    expect(shown.body).toMatchObject({
      status: 'trialing',
      tier: 'trial',
      pending_change: {
        tier: 'professional',
        billing_cycle: 'monthly',
        interval: 'month',
        amount: 49,
        amount_cents: 4900,
        effective_at: trialEnd,
      },
    });
    const active = await eventually(getSub, (r) => r.body?.status === 'active', 'the conversion');
    expect(active.body).toMatchObject({ tier: 'professional', amount_cents: 4900, pending_change: null });
    const stored = await stack.db.orm.em
      .fork()
      .findOneOrFail(Subscription, { id: active.body.subscription_id });
    expect({ tier: stored.tier, amountCents: stored.amountCents }).toEqual({
      tier: 'professional',
      amountCents: 4900,
    });
    expect(await eventually(invoicedCents, (c) => c.length > 1, 'the first paid period')).toEqual([
      100, 4900,
    ]);
  }, 120_000);

  it('refuses a continuation picked at signup for anything but the trial, or that is no paid plan', async () => {
    const token = await stack.idp.token({
      sub: `kc-signup-bad-${dialect}`,
      email: `sb-${dialect}@example.com`,
    });
    const checkout = (body: unknown) =>
      stack.api.request('POST', '/api/v1/billing/checkout/create', { token, body });
    const cases = [
      [
        { tier_id: 'starter', continuation: { tier_id: 'professional' } },
        400,
        'continuation_not_allowed',
        'body.continuation',
      ],
      [
        { tier_id: 'trial', continuation: { tier_id: 'trial' } },
        400,
        'invalid_continuation',
        'body.continuation.tier_id',
      ],
      [
        { tier_id: 'trial', continuation: { tier_id: 'no-such-plan' } },
        404,
        'plan_not_found',
        'body.continuation.tier_id',
      ],
      [
        { tier_id: 'trial', continuation: { tier_id: 'starter', extra: 1 } },
        400,
        'validation_failed',
        undefined,
      ],
    ] as const;
    for (const [body, status, code, field] of cases) {
      const r = await checkout(body);
      expect({
        status: r.status,
        code: r.body.error?.code,
        field: field && r.body.error?.details?.field,
      }).toEqual({
        status,
        code,
        field,
      });
    }
  }, 120_000);

  it('ends on day 7 when no plan was picked, card on file or not: expired, nothing billed past the $1.00 signup, no second trial', async () => {
    const { call, getSub, stripeCustomer, stripeSubId, invoicedCents } = await trialists.lapses!;
    await eventually(getSub, (r) => r.body?.status === 'none', 'access to end');
    const sub = await stack.stripe.subscriptions.retrieve(stripeSubId);
    expect(sub.status).toBe('canceled');
    const stored = await stack.db.orm.em
      .fork()
      .findOneOrFail(Subscription, { stripeSubscriptionId: stripeSubId });
    expect(stored.status).toBe('expired');
    expect(sub.customer).toBe(stripeCustomer.id);
    // The $1.00 signup only: never a month at the trial price.
    expect(await invoicedCents()).toEqual([100]);
    const again = await call('POST', '/checkout/create', { tier_id: 'trial' });
    expect({ status: again.status, code: again.body.error?.code }).toEqual({
      status: 409,
      code: 'trial_already_used',
    });
  }, 120_000);

  it('refuses a continuation outside a trial, and the trial tier as one', async () => {
    const { call } = await trialist('bad-pick');
    const trialAgain = await call('POST', '/trial/continuation', { tier_id: 'trial' });
    expect({ status: trialAgain.status, code: trialAgain.body.error?.code }).toEqual({
      status: 400,
      code: 'invalid_continuation',
    });
    const email = `nobody-${dialect}@example.com`;
    const token = await stack.idp.token({ sub: `kc-nobody-${dialect}`, email });
    const none = await stack.api.request('POST', '/api/v1/billing/trial/continuation', {
      token,
      body: { tier_id: 'starter' },
    });
    expect(none.status).toBe(404);
  }, 120_000);
});
