import { Charge, Customer, Invoice } from '../../db/entities';
import { newId } from '../../db/ids';
import type { Dialect } from '../../db/orm';
import { waitUntil } from '../helpers/eventually';
import { startFullStack, type FullStack } from '../helpers/full-stack';

interface ChargeRow {
  id: string;
  customer_email: string;
  status: string;
  invoice: string | null;
  disputed: boolean;
  dispute_status: string | null;
  disputed_amount_cents: number;
  dispute_outcome: 'won' | 'lost' | null;
  dispute_reason: string | null;
}

describe.each<Dialect>(['sqlite', 'postgresql'])('disputes mirrored from Stripe events on %s', (dialect) => {
  let stack: FullStack;
  let admin: string;

  beforeAll(async () => {
    stack = await startFullStack({ taskQueue: `disputes-${dialect}`, dialect });
    admin = await stack.idp.token({ sub: 'admin-disputes', email: 'disputes@example.com', roles: ['admin'] });
  });
  afterAll(() => stack?.stop());

  /** A customer who paid a professional month (4900 cents); answers the charge as the admin list shows it. */
  async function paidCharge(name: string) {
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
    emulator.completeCheckoutSession(checkout.body.session_id, { cardNumber: '4242424242424242' });
    const charge = await chargeOf(email, (c) => c?.status === 'succeeded' && c.invoice !== null);
    await waitUntil(
      () => db.orm.em.fork().findOne(Invoice, { stripeInvoiceId: charge.invoice as string }),
      (row) => row !== null,
      'the invoice mirrored',
    );
    return { email, charge };
  }

  /** The customer's one charge in recent-charges, once `ok` holds for it. */
  async function chargeOf(email: string, ok: (c: ChargeRow | undefined) => boolean): Promise<ChargeRow> {
    const rows = await waitUntil(
      async () => {
        const res = await stack.api.request('GET', '/api/v1/admin/billing/recent-charges?limit=100', {
          token: admin,
        });
        expect(res.status).toBe(200);
        return (res.body.charges as ChargeRow[]).filter((c) => c.customer_email === email);
      },
      (cs) => cs.length === 1 && ok(cs[0]),
      `the charge of ${email} in recent-charges`,
    );
    return rows[0] as ChargeRow;
  }

  const moneyBack = (kind: 'refund' | 'credit-notes', invoice: string, body: object, key: string) =>
    stack.api.request('POST', `/api/v1/admin/billing/invoices/${invoice}/${kind}`, {
      token: admin,
      body,
      headers: { 'idempotency-key': key },
    });

  it('marks the charge disputed when the cardholder disputes it, holds refunds and credit notes meanwhile, and records the dispute won', async () => {
    const { email, charge } = await paidCharge('dispute-won');
    expect(charge).toMatchObject({ disputed: false, dispute_status: null, dispute_outcome: null });

    const dispute = stack.emulator.openDispute(charge.id, { reason: 'product_not_received' }) as {
      id: string;
    };
    const open = await chargeOf(email, (c) => c?.dispute_status === 'needs_response');
    expect(open).toMatchObject({
      disputed: true,
      disputed_amount_cents: 4900,
      dispute_outcome: null,
      dispute_reason: 'product_not_received',
    });
    const stored = await stack.db.orm.em.fork().findOneOrFail(Charge, { stripeChargeId: charge.id });
    expect(stored).toMatchObject({ stripeDisputeId: dispute.id, disputedAmountCents: 4900 });
    expect(stored.disputedAt).toBeInstanceOf(Date);

    const refund = await moneyBack('refund', charge.invoice as string, { reason: 'x' }, 'dispute-won-r');
    expect(refund.status).toBe(409);
    expect(refund.body.error).toMatchObject({
      code: 'charge_disputed',
      details: { dispute_status: 'needs_response' },
    });
    const held = await moneyBack(
      'credit-notes',
      charge.invoice as string,
      { amount_cents: 100, reason: 'duplicate' },
      'dispute-won-c',
    );
    expect(held.status).toBe(409);
    expect(held.body.error.details.amount_left_cents).toBe(0);

    stack.emulator.closeDispute(dispute.id, 'won');
    const won = await chargeOf(email, (c) => c?.dispute_status === 'won');
    expect(won).toMatchObject({ disputed: true, dispute_outcome: 'won', disputed_amount_cents: 4900 });
    // Won: the money stayed, so it can be given back again.
    const credit = await moneyBack(
      'credit-notes',
      charge.invoice as string,
      { amount_cents: 100, reason: 'duplicate' },
      'dispute-won-c2',
    );
    expect(credit.status).toBe(200);
    expect(credit.body.amount_left_cents).toBe(4800);
  });

  it('records a partial dispute lost, and counts what it took back against what may still be refunded', async () => {
    const { email, charge } = await paidCharge('dispute-lost');
    const dispute = stack.emulator.openDispute(charge.id, { amount: 2000 }) as { id: string };
    await chargeOf(email, (c) => c?.dispute_status === 'needs_response');
    stack.emulator.closeDispute(dispute.id, 'lost');
    const lost = await chargeOf(email, (c) => c?.dispute_status === 'lost');
    expect(lost).toMatchObject({
      disputed: true,
      dispute_outcome: 'lost',
      disputed_amount_cents: 2000,
      dispute_reason: 'fraudulent',
    });

    const over = await moneyBack(
      'refund',
      charge.invoice as string,
      { amount_cents: 2901, reason: 'x' },
      'lost-r1',
    );
    expect(over.status).toBe(409);
    expect(over.body.error).toMatchObject({
      code: 'refund_exceeds_charge',
      details: { amount_left_cents: 2900 },
    });
    const rest = await moneyBack('refund', charge.invoice as string, { reason: 'x' }, 'lost-r2');
    expect(rest.status).toBe(200);
    expect(rest.body.amount_cents).toBe(2900);
  });
});
