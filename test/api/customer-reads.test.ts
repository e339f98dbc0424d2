import { billingApiOn, bookWriter, DAY } from '../helpers/book';
import { Invoice, PaymentMethod, Plan, Subscription } from '../../db/entities';
import { newId } from '../../db/ids';
import { invoiceDto } from '../../api/routes/invoices/dto';
import type { InvoiceRow } from '../../db/invoice-reads';

/**
 * The customer reads (invoices, cards, subscription, access, usage) go through plain SQL
 * (db/customer-reads.ts and its siblings by capability) with the caller's customer id cached: their answers must be what the entities
 * hold, on both dialects.
 */
describe.each(['sqlite', 'postgresql'] as const)('customer reads on %s', (dialect) => {
  const setup = billingApiOn(dialect);

  const tokenOf = (name: string) => setup.idp.token({ sub: `user-${name}`, email: `${name}@example.com` });

  it('answers what the entities give, refunds and credit notes included, and never another customer’s', async () => {
    const book = bookWriter(setup.db.orm.em.fork());
    const me = book.customer({ userId: 'user-me', email: 'me@example.com' });
    const other = book.customer({ userId: 'user-other', email: 'other@example.com' });
    const base = Date.now() - 60 * DAY;
    const paid = book.invoice(me, { amountCents: 4900, createdAt: new Date(base), number: 'ME-1' });
    const credited = book.invoice(me, {
      amountCents: 9900,
      createdAt: new Date(base + DAY + 123),
      invoicePdf: 'https://pay.stripe.com/invoice/x/pdf',
    });
    book.invoice(me, { amountCents: 1900, createdAt: new Date(base + 2 * DAY), status: 'open' });
    const charge = book.charge(me, { amountCents: 4900, createdAt: new Date(base), invoice: paid });
    book.refund(charge, { amountCents: 1000, createdAt: new Date(base + 3 * DAY) });
    book.refund(charge, { amountCents: 500, createdAt: new Date(base + 3 * DAY), status: 'failed' });
    book.creditNote(credited, { amountCents: 2000, refundedCents: 700, createdAt: new Date(base + 4 * DAY) });
    book.creditNote(credited, { amountCents: 300, createdAt: new Date(base + 4 * DAY), status: 'void' });
    const theirs = book.invoice(other, { amountCents: 7700, createdAt: new Date(base + DAY) });
    book.creditNote(theirs, { amountCents: 7700, createdAt: new Date(base + 2 * DAY) });
    await book.flush();

    const res = await setup.api.raw('/api/v1/billing/invoices?limit=10', await tokenOf('me'));
    expect(res.status).toBe(200);
    const text = await res.text();
    const entities = await setup.db.orm.em
      .fork()
      .find(Invoice, { customer: me.id }, { orderBy: { createdAt: 'desc', id: 'desc' } });
    const back: Record<string, { refundedCents: number; creditedCents: number }> = {
      [paid.stripeInvoiceId]: { refundedCents: 1000, creditedCents: 0 },
      [credited.stripeInvoiceId]: { refundedCents: 0, creditedCents: 1300 },
    };
    const expected = entities.map((inv) =>
      invoiceDto(inv as unknown as InvoiceRow, '/api/v1/billing', back[inv.stripeInvoiceId]),
    );
    expect(text).toBe(JSON.stringify(expected));
    expect(text).not.toContain(theirs.stripeInvoiceId);
  });

  it('finds a customer created after their first read, and pages through invoices of the same instant once each', async () => {
    const token = await tokenOf('late');
    expect((await setup.api.request('GET', '/api/v1/billing/invoices', { token })).body).toEqual([]);
    const book = bookWriter(setup.db.orm.em.fork());
    const late = book.customer({ userId: 'user-late', email: 'late@example.com' });
    const at = new Date(Date.now() - 5 * DAY);
    for (let i = 0; i < 5; i++) book.invoice(late, { amountCents: 100 + i, createdAt: at, number: `L-${i}` });
    await book.flush();

    const seen: string[] = [];
    let path = '/api/v1/billing/invoices?limit=2';
    for (let page = 0; page < 5; page++) {
      const res = await setup.api.raw(path, token);
      expect(res.status).toBe(200);
      seen.push(...((await res.json()) as { number: string }[]).map((i) => i.number));
      const cursor = res.headers.get('x-next-cursor');
      if (!cursor) break;
      path = `/api/v1/billing/invoices?limit=2&cursor=${encodeURIComponent(cursor)}`;
    }
    expect([...seen].sort()).toEqual(['L-0', 'L-1', 'L-2', 'L-3', 'L-4']);
    expect(seen).toHaveLength(5);
  });
  it('lists the attached cards newest first as the entities give them, never a detached one or another customer’s', async () => {
    const em = setup.db.orm.em.fork();
    const book = bookWriter(em);
    const card = book.customer({ userId: 'user-card', email: 'card@example.com' });
    const stranger = book.customer({ userId: 'user-stranger', email: 'stranger@example.com' });
    const at = Date.now() - 10 * DAY;
    const pm = (customer: typeof card, n: number, extra: Partial<PaymentMethod> = {}) =>
      em.create(PaymentMethod, {
        id: newId('pm'),
        stripePaymentMethodId: `pm_cr_${dialect}_${n}`,
        customer,
        createdAt: new Date(at + n * 1000 + 7),
        ...extra,
      });
    pm(card, 1, { brand: 'visa', last4: '4242', expMonth: 1, expYear: 2031, isDefault: true });
    pm(card, 2);
    pm(card, 3, { brand: 'amex', detachedAt: new Date() });
    pm(stranger, 4, { brand: 'mastercard' });
    await em.flush();

    const res = await setup.api.raw('/api/v1/billing/payment-methods', await tokenOf('card'));
    expect(res.status).toBe(200);
    const entities = await setup.db.orm.em
      .fork()
      .find(PaymentMethod, { customer: card.id, detachedAt: null }, { orderBy: { createdAt: 'desc' } });
    expect(entities).toHaveLength(2);
    const expected = entities.map((p) => ({
      id: p.stripePaymentMethodId,
      type: p.type,
      card: {
        brand: p.brand ?? null,
        last4: p.last4 ?? null,
        exp_month: p.expMonth ?? null,
        exp_year: p.expYear ?? null,
      },
      is_default: p.isDefault,
      created: p.createdAt.toISOString(),
    }));
    expect(await res.text()).toBe(JSON.stringify(expected));
    const none = await setup.api.request('GET', '/api/v1/billing/payment-methods', {
      token: await tokenOf('nobody'),
    });
    expect(none.body).toEqual([]);
  });

  it('reads the live subscription, its plan’s access and the usage credits as the entities hold them', async () => {
    const em = setup.db.orm.em.fork();
    const book = bookWriter(em);
    const me = book.customer({ userId: 'user-subr', email: 'subr@example.com' });
    const now = Date.now();
    // A newer subscription that ended must not hide the live one, nor may another customer's.
    const live = book.subscription(me, {
      tier: 'professional',
      amountCents: 4900,
      status: 'active',
      createdAt: new Date(now - 20 * DAY),
      cancelAtPeriodEnd: true,
    });
    live.pendingTier = 'starter';
    live.pendingInterval = 'month';
    live.pendingAmountCents = 1900;
    live.pendingEffectiveAt = new Date(now + 10 * DAY + 321);
    live.discount = {
      couponId: 'launch20',
      promotionCodeId: 'promo_x',
      start: new Date(now - 20 * DAY).toISOString(),
      end: new Date(now + 70 * DAY).toISOString(),
    };
    book.subscription(me, {
      tier: 'enterprise',
      amountCents: 29900,
      status: 'canceled',
      createdAt: new Date(now - 2 * DAY),
      endedAt: new Date(now - DAY),
    });
    const trialist = book.customer({ userId: 'user-subt', email: 'subt@example.com' });
    const trial = book.subscription(trialist, {
      tier: 'starter',
      amountCents: 1900,
      status: 'trialing',
      createdAt: new Date(now - DAY),
      trialEnd: new Date(now + 6 * DAY + 5),
    });
    trial.trialStart = trial.createdAt;
    await em.flush();

    const token = await tokenOf('subr');
    const sub = await setup.api.request('GET', '/api/v1/billing/subscription', { token });
    const stored = await setup.db.orm.em.fork().findOneOrFail(Subscription, live.id, { populate: ['plan'] });
    const expected = {
      subscription_id: stored.id,
      tier: 'professional',
      status: 'active',
      current_period_start: stored.currentPeriodStart!.toISOString(),
      current_period_end: stored.currentPeriodEnd!.toISOString(),
      trial_end: null,
      cancel_at_period_end: true,
      awaiting_card: false,
      billing_anchor: 'anniversary',
      seats: 1,
      amount: 49,
      amount_cents: 4900,
      interval: 'month',
      currency: 'usd',
      stripe_subscription_id: stored.stripeSubscriptionId,
      discount: {
        coupon_id: 'launch20',
        // Stored before the mirror read the coupon: no name yet.
        coupon_name: null,
        start: stored.discount!.start,
        end: stored.discount!.end,
        percent_off: null,
        amount_off_cents: null,
      },
      pending_change: {
        tier: 'starter',
        billing_cycle: 'monthly',
        interval: 'month',
        amount: 19,
        amount_cents: 1900,
        effective_at: stored.pendingEffectiveAt!.toISOString(),
      },
    };
    expect(sub.body).toEqual(expected);
    const status = await setup.api.request('GET', '/api/v1/billing/subscription-status', { token });
    expect(status.body).toEqual({ has_subscription: true, ...expected });

    const access = await setup.api.request('GET', '/api/v1/subscriptions/my-access', { token });
    expect(access.body).toEqual({
      tier: 'professional',
      status: 'active',
      services: stored.plan.services,
      features: stored.plan.features,
      daily_api_calls: stored.plan.dailyApiCalls ?? null,
      current_period_end: stored.currentPeriodEnd!.toISOString(),
    });
    expect((access.body as { services: string[] }).services.length).toBeGreaterThan(0);

    const usage = await setup.api.request('GET', '/api/v1/billing/usage', { token });
    const { credits } = usage.body as { credits: { included_credits: number; price_per_1k_cents: number } };
    expect(credits.included_credits).toBe(stored.plan.includedCredits);
    expect(credits.price_per_1k_cents).toBe(stored.plan.overagePer1kCents);

    const trialSub = await setup.api.request('GET', '/api/v1/billing/subscription', {
      token: await tokenOf('subt'),
    });
    expect(trialSub.body).toMatchObject({
      subscription_id: trial.id,
      status: 'trialing',
      trial_end: trial.trialEnd!.toISOString(),
      pending_change: null,
      cancel_at_period_end: false,
    });
    const starter = await setup.db.orm.em.fork().findOneOrFail(Plan, 'plan_starter_v1');
    const trialAccess = await setup.api.request('GET', '/api/v1/subscriptions/my-access', {
      token: await tokenOf('subt'),
    });
    expect(trialAccess.body).toMatchObject({ tier: 'starter', services: starter.services });

    const none = await setup.api.request('GET', '/api/v1/billing/subscription', {
      token: await tokenOf('nosub'),
    });
    expect(none.body).toMatchObject({ subscription_id: null, status: 'none' });
    const noAccess = await setup.api.request('GET', '/api/v1/subscriptions/my-access', {
      token: await tokenOf('nosub'),
    });
    expect(noAccess.body).toMatchObject({ tier: null, status: 'none', services: [] });

    const gateway = await setup.idp.token({
      sub: 'svc-gw',
      email: 'gw@example.com',
      roles: ['billing-gateway'],
    });
    for (const ref of ['user-subr', me.id]) {
      const byRef = await setup.api.request('GET', `/api/v1/subscriptions/admin/user-access/${ref}`, {
        token: gateway,
      });
      expect(byRef.body).toMatchObject({ user_id: 'user-subr', tier: 'professional' });
      expect(byRef.body).not.toHaveProperty('email');
    }
    const unknown = await setup.api.request('GET', '/api/v1/subscriptions/admin/user-access/user-nobody', {
      token: gateway,
    });
    expect(unknown.status).toBe(404);
  });
});
