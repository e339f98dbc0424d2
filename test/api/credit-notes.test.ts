import type Stripe from 'stripe';
import { AuditEntry, CreditNote, Customer, Invoice, Refund } from '../../db/entities';
import { newId } from '../../db/ids';
import type { Dialect } from '../../db/orm';
import { waitUntil } from '../helpers/eventually';
import { startFullStack, type FullStack } from '../helpers/full-stack';

describe.each<Dialect>(['sqlite', 'postgresql'])('admin credit notes on %s', (dialect) => {
  let stack: FullStack;
  let admin: string;

  beforeAll(async () => {
    stack = await startFullStack({ taskQueue: `credit-notes-${dialect}`, dialect });
    admin = await stack.idp.token({ sub: 'admin-credits', email: 'credits@example.com', roles: ['admin'] });
  });
  afterAll(() => stack?.stop());

  /** A customer who paid a professional month (4900 cents) through checkout; answers its mirrored invoice. */
  async function paidInvoice(name: string) {
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
    const invoice = await waitUntil(
      () =>
        db.orm.em
          .fork()
          .findOne(Invoice, { customer: { email }, status: 'paid' }, { populate: ['customer'] }),
      (row) => row !== null,
      'the paid invoice mirrored',
    );
    expect(invoice?.amountPaidCents).toBe(4900);
    return { invoice: invoice as Invoice, stripeCustomer, token };
  }

  const credit = (invoiceId: string, body: Record<string, unknown>, key?: string, token = admin) =>
    stack.api.request('POST', `/api/v1/admin/billing/invoices/${invoiceId}/credit-notes`, {
      token,
      body,
      headers: key ? { 'idempotency-key': key } : {},
    });

  const refund = (invoiceId: string, body: Record<string, unknown>, key: string) =>
    stack.api.request('POST', `/api/v1/admin/billing/invoices/${invoiceId}/refund`, {
      token: admin,
      body,
      headers: { 'idempotency-key': key },
    });

  const creditNotesInStripe = async (stripeInvoiceId: string) =>
    (await stack.stripe.creditNotes.list({ invoice: stripeInvoiceId, limit: 100 })).data;

  it("credits part of a paid invoice to the customer's balance once, however often the same key is replayed, and mirrors and audits it", async () => {
    const { invoice, stripeCustomer } = await paidInvoice('credit-part');
    const first = await credit(
      invoice.id,
      { amount_cents: 1000, reason: 'order_change', memo: 'two seats fewer' },
      'cn-part',
    );
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      invoice: invoice.stripeInvoiceId,
      amount_cents: 1000,
      currency: 'usd',
      reason: 'order_change',
      memo: 'two seats fewer',
      type: 'post_payment',
      invoice_amount_paid_cents: 4900,
      amount_credited_cents: 1000,
      amount_refunded_cents: 0,
      amount_left_cents: 3900,
      idempotency_key: 'cn-part',
    });
    // The same key in the body this time, and Stripe's id for the invoice: still the first answer.
    const replays = await Promise.all([
      credit(invoice.stripeInvoiceId, {
        amount_cents: 1000,
        reason: 'order_change',
        idempotency_key: 'cn-part',
      }),
      credit(invoice.id, { amount_cents: 1000, reason: 'order_change', memo: 'two seats fewer' }, 'cn-part'),
    ]);
    for (const replay of replays) {
      expect(replay.status).toBe(200);
      expect(replay.body).toEqual(first.body);
    }

    const notes = await creditNotesInStripe(invoice.stripeInvoiceId);
    expect(notes.map((n: Stripe.CreditNote) => [n.id, n.amount, n.reason])).toEqual([
      [first.body.credit_note_id, 1000, 'order_change'],
    ]);
    const customer = await stack.stripe.customers.retrieve(stripeCustomer.id);
    expect((customer as Stripe.Customer).balance).toBe(-1000);

    const em = stack.db.orm.em.fork();
    const rows = await em.find(CreditNote, { stripeInvoiceId: invoice.stripeInvoiceId });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      stripeCreditNoteId: first.body.credit_note_id,
      amountCents: 1000,
      creditedCents: 1000,
      refundedCents: 0,
      type: 'post_payment',
      status: 'issued',
      reason: 'order_change',
      memo: 'two seats fewer',
    });
    expect(rows[0]?.invoice?.id).toBe(invoice.id);
    const audits = await em.find(AuditEntry, {
      action: 'invoice.credit_note',
      entityId: invoice.stripeInvoiceId,
    });
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ actorId: 'admin-credits', actorEmail: 'credits@example.com' });
    expect(audits[0]?.after).toMatchObject({
      credit_note: first.body.credit_note_id,
      amount_cents: 1000,
      reason: 'order_change',
      amount_left_cents: 3900,
    });
  });

  it('credits what is left when no amount is given, counting refunds, and then refuses both a further credit and a further refund', async () => {
    const { invoice } = await paidInvoice('credit-rest');
    const refunded = await refund(invoice.id, { amount_cents: 1500, reason: 'requested_by_customer' }, 'r-1');
    expect(refunded.status).toBe(200);

    const rest = await credit(invoice.id, { reason: 'product_unsatisfactory' }, 'cn-rest');
    expect(rest.status).toBe(200);
    expect(rest.body).toMatchObject({
      amount_cents: 4900 - 1500,
      amount_refunded_cents: 1500,
      amount_credited_cents: 4900 - 1500,
      amount_left_cents: 0,
    });

    const more = await credit(invoice.id, { amount_cents: 1, reason: 'duplicate' }, 'cn-more');
    expect(more.status).toBe(409);
    expect(more.body.error).toMatchObject({
      code: 'credit_exceeds_invoice',
      details: { field: 'body.amount_cents', amount_left_cents: 0 },
    });
    // Nothing left, and no amount named: refused the same way rather than a credit note of 0.
    const nothing = await credit(invoice.id, { reason: 'duplicate' }, 'cn-nothing');
    expect(nothing.status).toBe(409);
    expect(nothing.body.error.code).toBe('credit_exceeds_invoice');
    // A refund counts the credit note too: the money went back once already.
    const refundMore = await refund(invoice.id, { amount_cents: 1, reason: 'duplicate' }, 'r-2');
    expect(refundMore.status).toBe(409);
    expect(refundMore.body.error).toMatchObject({
      code: 'refund_exceeds_charge',
      details: { field: 'body.amount_cents', amount_left_cents: 0 },
    });

    const notes = await creditNotesInStripe(invoice.stripeInvoiceId);
    expect(notes.map((n: Stripe.CreditNote) => n.amount)).toEqual([3400]);
    const charge = (await stack.stripe.charges.list({ customer: invoice.customer.stripeCustomerId! })).data;
    expect(charge.map((c) => c.amount_refunded)).toEqual([1500]);
    // A refused key answers its refusal again, however the request is sent the second time.
    const again = await credit(invoice.id, { amount_cents: 1, reason: 'duplicate' }, 'cn-more');
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('credit_exceeds_invoice');
  });

  it('never credits more than is left when two requests with different keys race', async () => {
    const { invoice } = await paidInvoice('credit-race');
    // 3000 left: each request alone fits, both together do not. Stripe alone would take both, as it
    // does not count refunds made outside credit notes.
    expect((await refund(invoice.id, { amount_cents: 1900, reason: 'duplicate' }, 'race-r')).status).toBe(
      200,
    );
    const answers = await Promise.all(
      ['race-a', 'race-b', 'race-c'].map((key) =>
        credit(invoice.id, { amount_cents: 2000, reason: 'order_change' }, key),
      ),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409]);
    for (const refused of answers.filter((a) => a.status === 409)) {
      expect(refused.body.error).toMatchObject({
        code: 'credit_exceeds_invoice',
        details: { amount_left_cents: 1000 },
      });
    }
    const notes = await creditNotesInStripe(invoice.stripeInvoiceId);
    expect(notes.map((n: Stripe.CreditNote) => n.amount)).toEqual([2000]);
    const rows = await stack.db.orm.em.fork().find(CreditNote, { stripeInvoiceId: invoice.stripeInvoiceId });
    expect(rows.map((r) => r.creditedCents)).toEqual([2000]);
  });

  it('refuses hostile amounts, reasons and keys with the field at fault, and credits nothing', async () => {
    const { invoice } = await paidInvoice('credit-hostile');
    const cases: [Record<string, unknown>, string][] = [
      [{ amount_cents: -100, reason: 'duplicate' }, 'body.amount_cents'],
      [{ amount_cents: 0, reason: 'duplicate' }, 'body.amount_cents'],
      [{ amount_cents: 10.5, reason: 'duplicate' }, 'body.amount_cents'],
      [{ amount_cents: '100', reason: 'duplicate' }, 'body.amount_cents'],
      [{ amount_cents: 1e15, reason: 'duplicate' }, 'body.amount_cents'],
      [{ amount_cents: Number.MAX_SAFE_INTEGER + 2, reason: 'duplicate' }, 'body.amount_cents'],
      [{ amount_cents: 100 }, 'body.reason'],
      [{ amount_cents: 100, reason: 'requested_by_customer' }, 'body.reason'],
      [{ amount_cents: 100, reason: 'duplicate', memo: 'x'.repeat(501) }, 'body.memo'],
      [{ amount_cents: 100, reason: 'duplicate', extra: true }, 'body'],
    ];
    for (const [body, field] of cases) {
      const res = await credit(invoice.id, body, `hostile-${field}`);
      expect({ body, status: res.status, code: res.body.error?.code }).toEqual({
        body,
        status: 400,
        code: 'validation_failed',
      });
      expect(res.body.error.details.field).toBe(field);
    }
    const overPaid = await credit(invoice.id, { amount_cents: 4901, reason: 'duplicate' }, 'hostile-over');
    expect(overPaid.status).toBe(409);
    expect(overPaid.body.error).toMatchObject({
      code: 'credit_exceeds_invoice',
      details: { field: 'body.amount_cents', amount_left_cents: 4900 },
    });
    const noKey = await credit(invoice.id, { amount_cents: 100, reason: 'duplicate' });
    expect(noKey.status).toBe(400);
    expect(noKey.body.error).toMatchObject({
      code: 'idempotency_key_required',
      details: { field: 'headers.idempotency-key' },
    });
    const twoKeys = await credit(
      invoice.id,
      { amount_cents: 100, reason: 'duplicate', idempotency_key: 'body-key' },
      'header-key',
    );
    expect(twoKeys.status).toBe(400);
    expect(twoKeys.body.error.details.field).toBe('body.idempotency_key');
    const badHeader = await credit(invoice.id, { amount_cents: 100, reason: 'duplicate' }, 'has space');
    expect(badHeader.status).toBe(400);
    expect(badHeader.body.error.details.field).toBe('headers.idempotency-key');

    const unknown = await credit('in_doesnotexist', { amount_cents: 100, reason: 'duplicate' }, 'k-unknown');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({ code: 'invoice_not_found', details: { field: 'params.id' } });
    const ours = await credit('inv_doesnotexist', { amount_cents: 100, reason: 'duplicate' }, 'k-ours');
    expect(ours.status).toBe(404);

    for (const roles of [['viewer'], ['editor'], ['billing-gateway']]) {
      const token = await stack.idp.token({ sub: `not-admin-${roles[0]}`, email: 'n@example.com', roles });
      const res = await credit(invoice.id, { amount_cents: 100, reason: 'duplicate' }, 'k-role', token);
      expect(res.status).toBe(403);
    }
    expect(await creditNotesInStripe(invoice.stripeInvoiceId)).toEqual([]);
    expect(await stack.db.orm.em.fork().count(CreditNote, { stripeInvoiceId: invoice.stripeInvoiceId })).toBe(
      0,
    );
  });

  it('credits an open invoice before payment: it then asks for less', async () => {
    const { stripeCustomer } = await paidInvoice('credit-open');
    await stack.stripe.invoiceItems.create({ customer: stripeCustomer.id, amount: 3000, currency: 'usd' });
    const draft = await stack.stripe.invoices.create({
      customer: stripeCustomer.id,
      pending_invoice_items_behavior: 'include',
      collection_method: 'send_invoice',
      days_until_due: 30,
    });
    const open = await stack.stripe.invoices.finalizeInvoice(draft.id as string);
    expect(open.status).toBe('open');

    const res = await credit(open.id as string, { amount_cents: 1200, reason: 'order_change' }, 'cn-open');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ type: 'pre_payment', amount_cents: 1200, amount_left_cents: 1800 });
    expect((await stack.stripe.invoices.retrieve(open.id as string)).amount_remaining).toBe(1800);
    const over = await credit(open.id as string, { amount_cents: 1801, reason: 'order_change' }, 'cn-open-2');
    expect(over.status).toBe(409);
    expect(over.body.error.details.amount_left_cents).toBe(1800);

    await stack.stripe.invoices.voidInvoice(open.id as string);
    const voided = await credit(open.id as string, { amount_cents: 100, reason: 'order_change' }, 'cn-void');
    expect(voided.status).toBe(409);
    expect(voided.body.error).toMatchObject({
      code: 'invoice_not_creditable',
      details: { field: 'params.id', status: 'void' },
    });
  });

  it('shows the customer, in their invoice list, what was refunded and credited on each invoice', async () => {
    const { invoice, token } = await paidInvoice('credit-listed');
    const other = await paidInvoice('credit-listed-other');
    expect((await refund(invoice.id, { amount_cents: 1500, reason: 'duplicate' }, 'list-r')).status).toBe(
      200,
    );
    expect((await credit(invoice.id, { amount_cents: 1000, reason: 'order_change' }, 'list-c')).status).toBe(
      200,
    );
    // Made in Stripe's dashboard: 500 paid back as a refund by a credit note counts as refunded, once.
    await stack.stripe.creditNotes.create({
      invoice: invoice.stripeInvoiceId,
      amount: 500,
      refund_amount: 500,
      reason: 'duplicate',
    });
    const listOf = async (t: string) => {
      const res = await stack.api.request('GET', '/api/v1/billing/invoices', { token: t });
      expect(res.status).toBe(200);
      return res.body as Record<string, unknown>[];
    };
    const listed = await waitUntil(
      () => listOf(token),
      (rows) => rows[0]?.amount_refunded_cents === 2000,
      'the refunds and credit notes in the invoice list',
    );
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({
      id: invoice.stripeInvoiceId,
      amount_paid_cents: 4900,
      amount_refunded_cents: 2000,
      amount_refunded: 20,
      amount_credited_cents: 1000,
      amount_credited: 10,
    });
    expect(await listOf(other.token)).toEqual([
      expect.objectContaining({ amount_refunded_cents: 0, amount_credited_cents: 0 }),
    ]);
    // The refund made in Stripe reaches the refund mirror through charge.refunded, beside the admin's.
    const refunds = await waitUntil(
      () =>
        stack.db.orm.em
          .fork()
          .find(Refund, { stripeInvoiceId: invoice.stripeInvoiceId }, { orderBy: { createdAt: 'asc' } }),
      (rows) => rows.length === 2,
      'both refunds mirrored',
    );
    expect(refunds.map((r) => [r.amountCents, r.status]).sort()).toEqual([
      [1500, 'succeeded'],
      [500, 'succeeded'],
    ]);
  });

  it("mirrors a credit note issued in Stripe's dashboard from its Stripe event", async () => {
    const { invoice } = await paidInvoice('credit-dashboard');
    const note = await stack.stripe.creditNotes.create({
      invoice: invoice.stripeInvoiceId,
      amount: 700,
      reason: 'duplicate',
    });
    const row = await waitUntil(
      () => stack.db.orm.em.fork().findOne(CreditNote, { stripeCreditNoteId: note.id }),
      (r) => r !== null,
      'the credit note mirrored from credit_note.created',
    );
    expect(row).toMatchObject({
      amountCents: 700,
      creditedCents: 700,
      status: 'issued',
      reason: 'duplicate',
    });
    // It counts against what an admin may still credit.
    const over = await credit(invoice.id, { amount_cents: 4201, reason: 'duplicate' }, 'cn-after-dashboard');
    expect(over.status).toBe(409);
    expect(over.body.error.details.amount_left_cents).toBe(4200);
  });
});
