import type Stripe from 'stripe';
import { AuditEntry, Charge, Customer, Invoice, Refund, StripeEvent } from '../../db/entities';
import type { mirrorInvoiceWorkflow } from '../../workflows';
import { newId } from '../../db/ids';
import type { Dialect } from '../../db/orm';
import { waitUntil } from '../helpers/eventually';
import { startFullStack, type FullStack } from '../helpers/full-stack';

/** Waits (200 ms apart, 30 s at most by default) for what the engine does in the background. */
const eventually = <T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string, timeoutMs = 30_000) =>
  waitUntil(read, ok, what, timeoutMs, 200);

interface ChargeRow {
  id: string;
  paid: boolean;
  failure_code: string | null;
  customer: string;
  amount_cents: number;
  amount_refunded_cents: number;
  status: string;
  refunded: boolean;
  card_brand: string | null;
  card_last4: string | null;
  invoice: string | null;
  customer_email: string;
}

describe.each<Dialect>(['sqlite', 'postgresql'])('charges mirrored and admin refunds on %s', (dialect) => {
  let stack: FullStack;
  let admin: string;

  beforeAll(async () => {
    stack = await startFullStack({ taskQueue: `charges-${dialect}`, dialect });
    admin = await stack.idp.token({ sub: 'admin-refunds', email: 'boss@example.com', roles: ['admin'] });
  });
  afterAll(() => stack?.stop());

  /** A customer who paid a professional subscription through checkout with `card`. */
  async function payingCustomer(name: string, card = '4242424242424242') {
    const { stripe, db, idp, api, emulator } = stack;
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
    const checkout = await api.request('POST', '/api/v1/billing/checkout/create', {
      token,
      body: { tier_id: 'professional', billing_cycle: 'monthly' },
    });
    expect(checkout.status).toBe(200);
    emulator.completeCheckoutSession(checkout.body.session_id, { cardNumber: card });
    return { email, stripeCustomer };
  }

  const chargesOf = async (email: string): Promise<ChargeRow[]> => {
    const res = await stack.api.request('GET', '/api/v1/admin/billing/recent-charges?limit=100', {
      token: admin,
    });
    expect(res.status).toBe(200);
    return (res.body.charges as ChargeRow[]).filter((c) => c.customer_email === email);
  };

  async function paidCharge(email: string) {
    const [row] = await eventually(
      () => chargesOf(email),
      (cs) => cs.length === 1 && cs[0]?.status === 'succeeded' && cs[0]?.invoice !== null,
      'the paid charge in recent-charges',
    );
    return row as ChargeRow;
  }

  /** With a key, it travels in the Idempotency-Key header (the helper sends no headers of its own). */
  async function refund(invoiceId: string, body: Record<string, unknown>, key?: string) {
    const path = `/api/v1/admin/billing/invoices/${invoiceId}/refund`;
    if (!key) return stack.api.request('POST', path, { token: admin, body });
    const res = await fetch(`${stack.api.url}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${admin}`,
        'content-type': 'application/json',
        'idempotency-key': key,
      },
      body: JSON.stringify(body),
    });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return { status: res.status, body: (await res.json()) as any };
  }

  it('shows a paid charge in recent-charges as Stripe has it: amount, card, invoice and customer', async () => {
    const { email, stripeCustomer } = await payingCustomer('mirror');
    const row = await paidCharge(email);
    const stripeCharge = await stack.stripe.charges.retrieve(row.id);
    expect(stripeCharge.customer).toBe(stripeCustomer.id);
    expect(row).toMatchObject({
      amount_cents: stripeCharge.amount,
      amount_refunded_cents: 0,
      card_brand: 'visa',
      card_last4: '4242',
      refunded: false,
    });
    expect(stripeCharge.amount).toBe(4900);
    // The invoice may be mirrored after its charge: the charge is linked to it once it is.
    const stored = await eventually(
      () =>
        stack.db.orm.em.fork().findOneOrFail(Charge, { stripeChargeId: row.id }, { populate: ['invoice'] }),
      (c) => c.invoice != null,
      'the charge linked to its mirrored invoice',
    );
    expect(stored.invoice?.stripeInvoiceId).toBe(row.invoice);
    expect(stored.amountCents).toBe(stripeCharge.amount);
    expect(stored.cardLast4).toBe('4242');
  });

  /** A one-off invoice of `amountCents` for the Stripe customer, paid (or tried) with `paymentMethod`. */
  async function payInvoice(stripeCustomerId: string, amountCents: number, paymentMethod: string) {
    const { stripe } = stack;
    await stripe.invoiceItems.create({ customer: stripeCustomerId, amount: amountCents, currency: 'usd' });
    const invoice = await stripe.invoices.create({
      customer: stripeCustomerId,
      pending_invoice_items_behavior: 'include',
    });
    const error = await stripe.invoices.pay(invoice.id, { payment_method: paymentMethod }).then(
      () => null,
      (err: Stripe.errors.StripeError) => err,
    );
    return { invoice, error };
  }

  it('shows a declined charge in recent-charges as failed, with its amount, card, invoice and customer', async () => {
    const { stripe, db } = stack;
    const email = `declined-${dialect}@example.com`;
    const stripeCustomer = await stripe.customers.create({ email });
    const em = db.orm.em.fork();
    em.create(Customer, {
      id: newId('cust'),
      userId: `kc-declined-${dialect}`,
      email,
      stripeCustomerId: stripeCustomer.id,
    });
    await em.flush();
    // 4000 0000 0000 0341 attaches, then every charge on it is declined.
    const card = await stripe.paymentMethods.attach('pm_card_chargeCustomerFail', {
      customer: stripeCustomer.id,
    });
    const { invoice, error } = await payInvoice(stripeCustomer.id, 3100, card.id);
    expect(error?.code).toBe('card_declined');

    const [row] = await eventually(
      () => chargesOf(email),
      (cs) => cs.length === 1,
      'the declined charge in recent-charges',
    );
    const [stripeCharge] = (await stripe.charges.list({ customer: stripeCustomer.id })).data;
    expect(stripeCharge?.status).toBe('failed');
    expect(row).toMatchObject({
      id: stripeCharge?.id,
      status: 'failed',
      paid: false,
      amount_cents: 3100,
      amount_refunded_cents: 0,
      card_brand: 'visa',
      card_last4: '0341',
      failure_code: 'card_declined',
      invoice: invoice.id,
      customer: stripeCustomer.id,
      customer_email: email,
    });
    // The failed filter finds it too.
    const failed = await stack.api.request('GET', '/api/v1/admin/billing/recent-charges?status=failed', {
      token: admin,
    });
    expect(failed.status).toBe(200);
    expect((failed.body.charges as ChargeRow[]).map((c) => c.id)).toContain(stripeCharge?.id);
  });

  it('mirrors the charge of a paid invoice from invoice.paid alone, when no charge event could mirror it', async () => {
    const { stripe, db, emulator, env } = stack;
    const email = `invoice-paid-${dialect}@example.com`;
    const stripeCustomer = await stripe.customers.create({ email });
    const { invoice, error } = await payInvoice(stripeCustomer.id, 2700, 'pm_card_visa');
    expect(error).toBeNull();
    const [stripeCharge] = (await stripe.charges.list({ customer: stripeCustomer.id })).data;

    // The engine does not know the customer yet: the charge.succeeded the emulator sent mirrors nothing.
    await emulator.waitForWebhooks();
    const succeeded = emulator
      .events('charge.succeeded')
      .find((e) => (e.data.object as { id?: string }).id === stripeCharge?.id);
    await eventually(
      () => db.orm.em.fork().findOne(StripeEvent, succeeded?.id as string),
      (row) => row?.forwardedAt != null,
      'the charge.succeeded event forwarded',
    );
    // An invoice's charge is mirrored by the invoice's run, with the invoice.
    const run = env.client.workflow.getHandle<typeof mirrorInvoiceWorkflow>(`invoice-mirror-${invoice.id}`);
    expect((await run.result()).charge?.mirrored).toBe(false);
    expect(await db.orm.em.fork().count(Charge, { stripeChargeId: stripeCharge?.id })).toBe(0);

    const em = db.orm.em.fork();
    em.create(Customer, {
      id: newId('cust'),
      userId: `kc-invoice-paid-${dialect}`,
      email,
      stripeCustomerId: stripeCustomer.id,
    });
    await em.flush();
    // Newer API versions name no charge or payment intent on the invoice: the engine must ask Stripe.
    const paid = { ...(await stripe.invoices.retrieve(invoice.id)) } as Record<string, unknown>;
    delete paid.charge;
    delete paid.payment_intent;
    const event = {
      id: `evt_invoice_paid_only_${dialect}`,
      object: 'event',
      type: 'invoice.paid',
      created: Math.floor(Date.now() / 1000),
      data: { object: paid },
    };
    const payload = JSON.stringify(event);
    const res = await fetch(`${stack.api.url}/api/v1/billing/webhooks/stripe`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'stripe-signature': stripe.webhooks.generateTestHeaderString({
          payload,
          secret: 'whsec_full_stack_secret',
        }),
      },
      body: payload,
    });
    expect(res.status).toBe(200);

    const [row] = await eventually(
      () => chargesOf(email),
      (cs) => cs.length === 1,
      'the charge of the invoice in recent-charges',
    );
    expect(row).toMatchObject({
      id: stripeCharge?.id,
      status: 'succeeded',
      paid: true,
      amount_cents: 2700,
      card_brand: 'visa',
      card_last4: '4242',
      invoice: invoice.id,
      customer: stripeCustomer.id,
    });
  });

  it('refunds part of an invoice, answers the same refund to a replay with the same key, refuses an over-refund with 409, then refunds the rest', async () => {
    const { email } = await payingCustomer('refund');
    const charge = await paidCharge(email);
    const invoice = await eventually(
      () => stack.db.orm.em.fork().findOne(Invoice, { stripeInvoiceId: charge.invoice as string }),
      (row) => row !== null,
      'the invoice mirrored',
    ).then((row) => row as Invoice);

    const first = await refund(
      invoice.id,
      { amount_cents: 1500, reason: 'requested_by_customer' },
      'key-part',
    );
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      invoice: invoice.stripeInvoiceId,
      charge: charge.id,
      amount_cents: 1500,
      charge_amount_cents: charge.amount_cents,
      amount_refunded_cents: 1500,
      refunded: false,
    });
    const replay = await refund(
      invoice.id,
      { amount_cents: 1500, reason: 'requested_by_customer' },
      'key-part',
    );
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual(first.body);

    const refunds = await stack.stripe.refunds.list({ charge: charge.id });
    expect(refunds.data.map((r: Stripe.Refund) => r.amount)).toEqual([1500]);
    expect((await stack.stripe.charges.retrieve(charge.id)).amount_refunded).toBe(1500);
    const stored = await stack.db.orm.em.fork().findOneOrFail(Charge, { stripeChargeId: charge.id });
    expect(stored.amountRefundedCents).toBe(1500);

    const over = await refund(
      invoice.id,
      { amount_cents: charge.amount_cents, reason: 'too much' },
      'key-over',
    );
    expect(over.status).toBe(409);
    expect(over.body.error?.code ?? over.body.code).toBe('refund_exceeds_charge');
    expect((await stack.stripe.charges.retrieve(charge.id)).amount_refunded).toBe(1500);

    const rest = await refund(invoice.stripeInvoiceId, { reason: 'goodwill', idempotency_key: 'key-rest' });
    expect(rest.status).toBe(200);
    expect(rest.body).toMatchObject({ amount_cents: charge.amount_cents - 1500, refunded: true });
    expect(rest.body.amount_refunded_cents).toBe(charge.amount_cents);
    expect((await stack.stripe.charges.retrieve(charge.id)).amount_refunded).toBe(charge.amount_cents);

    // The charge.refunded events re-read the charge: the mirror ends refunded in full, never less.
    const [listed] = await eventually(
      () => chargesOf(email),
      (cs) => cs[0]?.refunded === true,
      'the refunded charge in recent-charges',
    );
    expect(listed?.amount_refunded_cents).toBe(charge.amount_cents);
    const audits = await stack.db.orm.em
      .fork()
      .find(AuditEntry, { action: 'invoice.refund', entityId: invoice.stripeInvoiceId });
    expect(audits).toHaveLength(2);
    expect(audits.map((a) => (a.after as { amount_cents: number }).amount_cents).sort()).toEqual(
      [1500, charge.amount_cents - 1500].sort(),
    );

    // Each refund is mirrored with its own date, and the revenue figures net them out.
    const mirrored = await stack.db.orm.em
      .fork()
      .find(Refund, { charge: { stripeChargeId: charge.id } }, { orderBy: { createdAt: 'asc' } });
    expect(mirrored.map((r) => [r.amountCents, r.status, r.stripeInvoiceId])).toEqual([
      [1500, 'succeeded', invoice.stripeInvoiceId],
      [charge.amount_cents - 1500, 'succeeded', invoice.stripeInvoiceId],
    ]);
    const revenue = await stack.api.request('GET', '/api/v1/admin/revenue', { token: admin });
    expect(revenue.status).toBe(200);
    expect(revenue.body.refunds_30d_cents).toBe(charge.amount_cents);
    expect(revenue.body.net_revenue_30d_cents).toBe(
      revenue.body.recent_revenue_30d_cents - charge.amount_cents,
    );
  });

  it('re-reads the charge and its refunds when Stripe says a refund changed (refund.updated)', async () => {
    const { email } = await payingCustomer('refund-event');
    const charge = await paidCharge(email);
    const made = await stack.stripe.refunds.create({ charge: charge.id, amount: 900 });
    const mirrored = () => stack.db.orm.em.fork().find(Refund, { stripeRefundId: made.id });
    await eventually(mirrored, (rows) => rows.length === 1, 'the refund mirrored from charge.refunded');
    await stack.db.orm.em.fork().nativeDelete(Refund, { stripeRefundId: made.id });

    const event = {
      id: `evt_refund_updated_${dialect}`,
      object: 'event',
      type: 'refund.updated',
      created: Math.floor(Date.now() / 1000),
      data: { object: await stack.stripe.refunds.retrieve(made.id) },
    };
    const payload = JSON.stringify(event);
    const res = await fetch(`${stack.api.url}/api/v1/billing/webhooks/stripe`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'stripe-signature': stack.stripe.webhooks.generateTestHeaderString({
          payload,
          secret: 'whsec_full_stack_secret',
        }),
      },
      body: payload,
    });
    expect(res.status).toBe(200);
    const [row] = await eventually(mirrored, (rows) => rows.length === 1, 'the refund mirrored again');
    expect(row).toMatchObject({ amountCents: 900, status: 'succeeded', stripeInvoiceId: charge.invoice });
  });

  it('refuses a refund without an idempotency key and of an unknown invoice', async () => {
    const noKey = await refund('in_missing', { reason: 'x' });
    expect(noKey.status).toBe(400);
    const missing = await refund('in_missing', { reason: 'x' }, 'k1');
    expect(missing.status).toBe(404);
  });
});
