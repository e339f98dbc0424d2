import type Stripe from 'stripe';
import { customerOnClock, DAY, JAN_1_2025, monthlyPrice, startHarness, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.stop());

const eventsOf = (type: string, id: string) =>
  h.receiver.events.filter((e) => e.type === type && (e.data.object as { id?: string }).id === id);

/** A customer on a test clock with a paid $20 monthly subscription; returns its first invoice and charge. */
async function paidInvoice(amount = 2000) {
  const { clock, customer } = await customerOnClock(h.stripe);
  const price = await monthlyPrice(h.stripe, amount);
  const sub = await h.stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: price.id }],
    default_payment_method: 'pm_card_visa',
  });
  const invoice = await h.stripe.invoices.retrieve(sub.latest_invoice as string);
  expect(invoice.status).toBe('paid');
  const payments = await h.stripe.invoicePayments.list({ invoice: invoice.id });
  expect(payments.data).toHaveLength(1);
  const pi = payments.data[0]?.payment.payment_intent as string;
  const charges = await h.stripe.charges.list({ payment_intent: pi });
  expect(charges.data).toHaveLength(1);
  return { clock, customer, sub, invoice, charge: charges.data[0] as Stripe.Charge, pi };
}

describe('charges of paid invoices', () => {
  it('carry the card brand and last 4 and are listed newest first, page by page', async () => {
    const a = await paidInvoice(1000);
    const b = await paidInvoice(1500);
    expect(b.charge.payment_method_details?.card).toMatchObject({ brand: 'visa', last4: '4242' });
    expect(b.charge).toMatchObject({ amount: 1500, status: 'succeeded', paid: true, disputed: false });

    const first = await h.stripe.charges.list({ limit: 1 });
    expect(first.data[0]?.id).toBe(b.charge.id);
    expect(first.has_more).toBe(true);
    const second = await h.stripe.charges.list({ limit: 1, starting_after: b.charge.id });
    expect(second.data[0]?.id).toBe(a.charge.id);
  });

  it('are found from the invoice through its invoice payment, as the 2025+ API links them', async () => {
    const { invoice, pi } = await paidInvoice();
    const byPayment = await h.stripe.invoicePayments.list({
      payment: { type: 'payment_intent', payment_intent: pi },
    });
    expect(byPayment.data.map((p) => p.invoice)).toEqual([invoice.id]);
    expect(byPayment.data[0]).toMatchObject({ status: 'paid', amount_paid: 2000 });
  });
});

describe('refunds', () => {
  it('refund part, then the rest, of a charge, each with a charge.refunded event', async () => {
    const { charge } = await paidInvoice();
    const part = await h.stripe.refunds.create({
      charge: charge.id,
      amount: 500,
      reason: 'requested_by_customer',
    });
    expect(part).toMatchObject({ amount: 500, status: 'succeeded', charge: charge.id });
    expect(await h.stripe.charges.retrieve(charge.id)).toMatchObject({
      amount_refunded: 500,
      refunded: false,
    });

    const rest = await h.stripe.refunds.create({ charge: charge.id });
    expect(rest.amount).toBe(1500);
    expect(await h.stripe.charges.retrieve(charge.id)).toMatchObject({
      amount_refunded: 2000,
      refunded: true,
    });
    await h.emulator.waitForWebhooks();
    const refunded = eventsOf('charge.refunded', charge.id).map(
      (e) => (e.data.object as Stripe.Charge).amount_refunded,
    );
    expect(refunded).toEqual([500, 2000]);
    const listed = await h.stripe.refunds.list({ charge: charge.id });
    expect(listed.data.map((r) => r.amount)).toEqual([1500, 500]);
  });

  it('refuses more than is left on the charge, and anything once it is fully refunded', async () => {
    const { charge } = await paidInvoice();
    await h.stripe.refunds.create({ charge: charge.id, amount: 1500 });
    await expect(h.stripe.refunds.create({ charge: charge.id, amount: 501 })).rejects.toMatchObject({
      statusCode: 400,
      code: 'amount_too_large',
    });
    await h.stripe.refunds.create({ charge: charge.id, amount: 500 });
    await expect(h.stripe.refunds.create({ charge: charge.id, amount: 1 })).rejects.toMatchObject({
      statusCode: 400,
      code: 'charge_already_refunded',
    });
  });

  it('refund once per idempotency key: a replay answers the first refund', async () => {
    const { charge } = await paidInvoice();
    const first = await h.stripe.refunds.create(
      { charge: charge.id, amount: 700 },
      { idempotencyKey: 'r-1' },
    );
    const again = await h.stripe.refunds.create(
      { charge: charge.id, amount: 700 },
      { idempotencyKey: 'r-1' },
    );
    expect(again.id).toBe(first.id);
    expect((await h.stripe.charges.retrieve(charge.id)).amount_refunded).toBe(700);
  });

  it('refund a payment intent through its latest charge', async () => {
    const { charge, pi } = await paidInvoice();
    const refund = await h.stripe.refunds.create({ payment_intent: pi, amount: 100 });
    expect(refund.charge).toBe(charge.id);
  });
});

describe('credit notes', () => {
  it("credit a paid invoice to the customer's balance, which pays the next invoice", async () => {
    const { clock, customer, invoice } = await paidInvoice();
    const preview = await h.stripe.creditNotes.preview({ invoice: invoice.id, amount: 300 });
    expect(preview).toMatchObject({ amount: 300, type: 'post_payment' });
    expect((await h.stripe.invoices.retrieve(invoice.id)).post_payment_credit_notes_amount).toBe(0);

    const cn = await h.stripe.creditNotes.create({
      invoice: invoice.id,
      amount: 300,
      credit_amount: 300,
      reason: 'order_change',
      memo: 'goodwill',
    });
    expect(cn).toMatchObject({ amount: 300, status: 'issued', type: 'post_payment', invoice: invoice.id });
    expect((await h.stripe.invoices.retrieve(invoice.id)).post_payment_credit_notes_amount).toBe(300);
    expect((await h.stripe.customers.retrieve(customer.id)) as Stripe.Customer).toMatchObject({
      balance: -300,
    });
    await h.emulator.waitForWebhooks();
    expect(eventsOf('credit_note.created', cn.id)).toHaveLength(1);
    expect((await h.stripe.creditNotes.list({ invoice: invoice.id })).data.map((c) => c.id)).toEqual([cn.id]);

    await h.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: JAN_1_2025 + 32 * DAY });
    const renewal = (await h.stripe.invoices.list({ customer: customer.id })).data[0] as Stripe.Invoice;
    expect(renewal.id).not.toBe(invoice.id);
    expect(renewal).toMatchObject({ total: 2000, amount_due: 1700, amount_paid: 1700, status: 'paid' });
  });

  it('credit by lines, and refuse more than was paid and not yet credited', async () => {
    const { invoice } = await paidInvoice();
    const cn = await h.stripe.creditNotes.create({
      invoice: invoice.id,
      lines: [{ type: 'custom_line_item', unit_amount: 600, quantity: 2, description: 'two seats' }],
    });
    expect(cn.amount).toBe(1200);
    await expect(h.stripe.creditNotes.create({ invoice: invoice.id, amount: 801 })).rejects.toMatchObject({
      statusCode: 400,
      param: 'amount',
    });
  });

  it('refund the charge for the part a credit note sends back to the card', async () => {
    const { invoice, charge } = await paidInvoice();
    const cn = await h.stripe.creditNotes.create({ invoice: invoice.id, amount: 400, refund_amount: 400 });
    expect(cn.refunds).toHaveLength(1);
    expect((await h.stripe.charges.retrieve(charge.id)).amount_refunded).toBe(400);
  });
});

describe("the customer's balance", () => {
  it('takes a credit that pays the next invoices, each recording what it drew when finalized', async () => {
    const { clock, customer } = await paidInvoice();
    const credit = await h.stripe.customers.createBalanceTransaction(customer.id, {
      amount: -2500,
      currency: 'usd',
      metadata: { prepaid_commit: 'ppc_1' },
    });
    expect(credit).toMatchObject({ type: 'adjustment', amount: -2500, ending_balance: -2500 });

    await h.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: JAN_1_2025 + 32 * DAY });
    const first = (await h.stripe.invoices.list({ customer: customer.id })).data[0] as Stripe.Invoice;
    expect(first).toMatchObject({
      total: 2000,
      amount_due: 0,
      starting_balance: -2500,
      ending_balance: -500,
    });
    await h.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: JAN_1_2025 + 60 * DAY });
    const second = (await h.stripe.invoices.list({ customer: customer.id })).data[0] as Stripe.Invoice;
    expect(second).toMatchObject({
      total: 2000,
      amount_due: 1500,
      starting_balance: -500,
      ending_balance: 0,
    });

    const moves = await h.stripe.customers.listBalanceTransactions(customer.id);
    expect(moves.data.map((t) => [t.type, t.amount, t.invoice])).toEqual([
      ['applied_to_invoice', 500, second.id],
      ['applied_to_invoice', 2000, first.id],
      ['adjustment', -2500, null],
    ]);
  });

  it('gets back what a voided invoice drew, and a manual invoice draws when finalized, not as a draft', async () => {
    const { customer } = await paidInvoice();
    await h.stripe.customers.createBalanceTransaction(customer.id, { amount: -700, currency: 'usd' });
    const draft = await h.stripe.invoices.create({ customer: customer.id, auto_advance: false });
    await h.stripe.invoiceItems.create({
      customer: customer.id,
      invoice: draft.id,
      amount: 1000,
      currency: 'usd',
    });
    expect(((await h.stripe.customers.retrieve(customer.id)) as Stripe.Customer).balance).toBe(-700);
    const open = await h.stripe.invoices.finalizeInvoice(draft.id);
    expect(open).toMatchObject({ amount_due: 300, starting_balance: -700, ending_balance: 0 });
    await h.stripe.invoices.voidInvoice(draft.id);
    expect(((await h.stripe.customers.retrieve(customer.id)) as Stripe.Customer).balance).toBe(-700);
    const [back] = (await h.stripe.customers.listBalanceTransactions(customer.id)).data;
    expect(back).toMatchObject({ type: 'unapplied_from_invoice', amount: -700, invoice: draft.id });
  });

  it('refuses a move in another currency than the balance holds, or without an amount', async () => {
    const { customer } = await paidInvoice();
    await expect(
      h.stripe.customers.createBalanceTransaction(customer.id, { amount: -100, currency: 'eur' }),
    ).rejects.toMatchObject({ statusCode: 400, param: 'currency' });
    await expect(
      h.stripe.customers.createBalanceTransaction(customer.id, { currency: 'usd' } as never),
    ).rejects.toMatchObject({ statusCode: 400, param: 'amount' });
  });
});

describe('disputes', () => {
  it('open and close with their events; an open dispute blocks refunds', async () => {
    const { charge } = await paidInvoice();
    const dispute = h.emulator.openDispute(charge.id) as unknown as Stripe.Dispute;
    expect(dispute).toMatchObject({ amount: 2000, status: 'needs_response', charge: charge.id });
    expect((await h.stripe.charges.retrieve(charge.id)).disputed).toBe(true);
    await expect(h.stripe.refunds.create({ charge: charge.id, amount: 100 })).rejects.toMatchObject({
      code: 'charge_disputed',
    });
    const closed = await h.stripe.disputes.close(dispute.id);
    expect(closed.status).toBe('lost');
    await h.emulator.waitForWebhooks();
    expect(eventsOf('charge.dispute.created', dispute.id)).toHaveLength(1);
    expect(eventsOf('charge.dispute.closed', dispute.id)).toHaveLength(1);
    expect((await h.stripe.disputes.list({ charge: charge.id })).data.map((d) => d.status)).toEqual(['lost']);
  });

  it('can be won through the control API', async () => {
    const { charge } = await paidInvoice();
    const post = (path: string, body: unknown) =>
      fetch(`${h.emulator.url}/_emulator${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then((r) => r.json() as Promise<{ id: string; status: string; amount: number }>);
    const opened = await post(`/charges/${charge.id}/dispute`, {
      amount: 1200,
      reason: 'product_not_received',
    });
    expect(opened).toMatchObject({ amount: 1200, status: 'needs_response' });
    expect(await post(`/disputes/${opened.id}/close`, { outcome: 'won' })).toMatchObject({ status: 'won' });
  });
});
