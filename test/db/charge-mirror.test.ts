import fc from 'fast-check';
import type Stripe from 'stripe';
import { upsertCharge, upsertCreditNote, upsertInvoice } from '../../db/mirror';
import { Charge, Customer, Invoice, Plan, Subscription } from '../../db/entities';
import { newId } from '../../db/ids';
import type { Dialect } from '../../db/orm';
import { openTestDatabase } from '../helpers/db';
import { sqlFor } from '../../db/raw-sql';
import { lockInvoiceLinks } from '../../db/mirror/shared';
import { recordPgMessages } from '../helpers/pg-messages';

/** A charge as Stripe returns it, with only the fields the mirror reads. */
function stripeCharge(over: Partial<Record<string, unknown>>): Stripe.Charge {
  return {
    id: 'ch_mirror_1',
    object: 'charge',
    amount: 4900,
    amount_refunded: 0,
    currency: 'usd',
    customer: 'cus_mirror',
    invoice: 'in_mirror_1',
    status: 'succeeded',
    paid: true,
    refunded: false,
    created: 1_790_000_000,
    description: 'Subscription creation',
    failure_code: null,
    payment_method_details: { type: 'card', card: { brand: 'visa', last4: '4242' } },
    ...over,
  } as unknown as Stripe.Charge;
}

/** A paid invoice of the charges' customer as Stripe sends it, with only the fields the mirror reads. */
function paidInvoice(id: string): Stripe.Invoice {
  return {
    id,
    customer: 'cus_mirror',
    status: 'paid',
    currency: 'usd',
    subtotal: 4900,
    total: 4900,
    amount_due: 4900,
    amount_paid: 4900,
    attempt_count: 1,
    created: 1_790_000_000,
    period_start: 1_790_000_000,
    period_end: 1_790_000_000,
    parent: null,
    lines: { data: [] },
    status_transitions: { paid_at: 1_790_000_000 },
  } as unknown as Stripe.Invoice;
}

/** A database with the charges' customer mirrored. */
async function withCustomer(dialect: Dialect) {
  const db = await openTestDatabase(dialect);
  const em = db.orm.em.fork();
  const id = newId('cust');
  em.create(Customer, { id, userId: `kc-${id}`, email: `${id}@example.com`, stripeCustomerId: 'cus_mirror' });
  await em.flush();
  return db;
}

describe.each<Dialect>(['sqlite', 'postgresql'])('charge mirror on %s', (dialect) => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;

  beforeAll(async () => {
    db = await withCustomer(dialect);
  });
  afterAll(() => db?.close());

  it('keeps the later state when an older read of the charge lands after a newer one, and links the invoice once mirrored', async () => {
    await upsertCharge(db.orm.em.fork(), stripeCharge({ amount_refunded: 4900, refunded: true }));
    await upsertCharge(db.orm.em.fork(), stripeCharge({ status: 'pending', paid: false }));
    const rows = await db.orm.em.fork().find(Charge, { stripeChargeId: 'ch_mirror_1' });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      status: 'succeeded',
      paid: true,
      amountCents: 4900,
      amountRefundedCents: 4900,
      refunded: true,
      cardBrand: 'visa',
      cardLast4: '4242',
      stripeInvoiceId: 'in_mirror_1',
      invoice: null,
    });
    const invoice = await upsertInvoice(db.orm.em.fork(), paidInvoice('in_mirror_1'));
    const linked = await db.orm.em.fork().findOneOrFail(Charge, { stripeChargeId: 'ch_mirror_1' });
    expect(linked.invoice?.id).toBe(invoice?.id);
  });

  it('ends at the furthest copy when copies race to create the row, each refunded total published at most once', async () => {
    for (let round = 0; round < 4; round++) {
      const id = `ch_race_${round}`;
      const copies = [
        stripeCharge({ id, invoice: null, status: 'pending', paid: false }),
        stripeCharge({ id, invoice: null }),
        stripeCharge({ id, invoice: null, amount_refunded: 500 }),
        stripeCharge({ id, invoice: null, amount_refunded: 900 }),
      ];
      const shuffled = copies.map((c, i) => ({ c, k: (i * 3 + round) % 4 })).sort((a, b) => a.k - b.k);
      const written = await Promise.all(shuffled.map(({ c }) => upsertCharge(db.orm.em.fork(), c)));
      const rows = await db.orm.em.fork().find(Charge, { stripeChargeId: id });
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ status: 'succeeded', paid: true, amountRefundedCents: 900 });
      // Every writer names the one row.
      expect(new Set(written.map((w) => w?.id))).toEqual(new Set([rows[0]?.id]));
      const events = await sqlFor(db.orm.em.fork()).run<{ dedupe_key: string }>(
        "select dedupe_key from billing_events where type = 'charge.refunded' and dedupe_key like ?",
        [`charge.refunded:${id}:%`],
      );
      const keys = events.map((e) => e.dedupe_key);
      expect(keys).toContain(`charge.refunded:${id}:900`);
      expect(new Set(keys).size).toBe(keys.length);
    }
  });

  it('keeps a dispute at its latest stage when an older read of it lands last, and a newer dispute over an older one', async () => {
    const dispute = (status: string, over: Partial<Record<string, unknown>> = {}) =>
      ({
        id: 'dp_mirror_1',
        object: 'dispute',
        amount: 2000,
        charge: 'ch_mirror_3',
        created: 1_790_000_100,
        currency: 'usd',
        reason: 'fraudulent',
        status,
        ...over,
      }) as unknown as Stripe.Dispute;
    const charge = stripeCharge({ id: 'ch_mirror_3', disputed: true });
    const read = async (d: Stripe.Dispute) => {
      await upsertCharge(db.orm.em.fork(), charge, d);
      return db.orm.em.fork().findOneOrFail(Charge, { stripeChargeId: 'ch_mirror_3' });
    };
    expect(await read(dispute('needs_response'))).toMatchObject({
      stripeDisputeId: 'dp_mirror_1',
      disputeStatus: 'needs_response',
      disputedAmountCents: 2000,
      disputeReason: 'fraudulent',
    });
    expect((await read(dispute('lost'))).disputeStatus).toBe('lost');
    expect((await read(dispute('under_review'))).disputeStatus).toBe('lost');
    // A read without the dispute (a charge event's payload) leaves it as it is.
    await upsertCharge(db.orm.em.fork(), charge);
    expect((await read(dispute('needs_response'))).disputeStatus).toBe('lost');
    // An inquiry that escalates moves on; a second dispute after the first replaces it, an older one not.
    const later = dispute('warning_needs_response', { id: 'dp_mirror_2', created: 1_790_000_900 });
    expect((await read(later)).stripeDisputeId).toBe('dp_mirror_2');
    expect((await read(dispute('lost'))).stripeDisputeId).toBe('dp_mirror_2');
    const escalated = dispute('needs_response', { id: 'dp_mirror_2', created: 1_790_000_900, amount: 4900 });
    expect(await read(escalated)).toMatchObject({
      disputeStatus: 'needs_response',
      disputedAmountCents: 4900,
    });
  });

  it("links a subscription's first invoice before its workflow has recorded the Stripe id, and never another's", async () => {
    const em = db.orm.em.fork();
    const mine = await em.findOneOrFail(Customer, { stripeCustomerId: 'cus_mirror' });
    const theirs = em.create(Customer, { id: newId('cust'), userId: 'kc-other', email: 'o@example.com' });
    const row = (id: string, customer: Customer, stripeSubscriptionId: string | null = null) =>
      em.create(Subscription, {
        id,
        customer,
        plan: em.getReference(Plan, 'plan_starter_v1'),
        tier: 'starter',
        status: 'incomplete',
        amountCents: 1900,
        stripeSubscriptionId,
      });
    row(`subs_ours_${dialect}`, mine);
    row(`subs_stripe_made_${dialect}`, mine);
    row(`subs_theirs_${dialect}`, theirs);
    row(`subs_other_sub_${dialect}`, mine, `sub_elsewhere_${dialect}`);
    await em.flush();
    const invoiceOf = async (n: number, stripeSub: string, metadata: Record<string, string>) => {
      const inv = await upsertInvoice(db.orm.em.fork(), {
        id: `in_first_${n}_${dialect}`,
        customer: 'cus_mirror',
        status: 'paid',
        currency: 'usd',
        subtotal: 1900,
        total: 1900,
        amount_due: 1900,
        amount_paid: 1900,
        attempt_count: 1,
        created: 1_790_000_000,
        parent: { subscription_details: { subscription: stripeSub, metadata } },
        lines: { data: [] },
        status_transitions: { paid_at: 1_790_000_000 },
      } as unknown as Stripe.Invoice);
      const stored = await db.orm.em.fork().findOneOrFail(Invoice, { id: inv?.id as string });
      return stored.subscription?.id ?? null;
    };
    // The engine's checkout names its subscription in the metadata Stripe copies onto the invoice.
    expect(await invoiceOf(1, `sub_a_${dialect}`, { subscription_id: `subs_ours_${dialect}` })).toBe(
      `subs_ours_${dialect}`,
    );
    // Made in Stripe's dashboard: the id the engine gives such a subscription.
    expect(await invoiceOf(2, `sub_made_${dialect}`, {})).toBe(`subs_stripe_made_${dialect}`);
    // Metadata naming another customer's subscription, or one of another Stripe subscription: not linked.
    expect(await invoiceOf(3, `sub_b_${dialect}`, { subscription_id: `subs_theirs_${dialect}` })).toBeNull();
    expect(
      await invoiceOf(4, `sub_c_${dialect}`, { subscription_id: `subs_other_sub_${dialect}` }),
    ).toBeNull();
  });

  it('links a charge and a credit note to their invoice when all three are mirrored at the same moment', async () => {
    const creditNote = (id: string, invoice: string) =>
      ({
        id,
        object: 'credit_note',
        customer: 'cus_mirror',
        invoice,
        amount: 900,
        currency: 'usd',
        type: 'pre_payment',
        status: 'issued',
        created: 1_790_000_000,
        number: null,
        refunds: [],
        voided_at: null,
        reason: null,
        memo: null,
      }) as unknown as Stripe.CreditNote;
    // Each round mirrors the three from separate connections at once, so on PostgreSQL the charge's and the
    // credit note's transactions run beside the invoice's; either order must end linked.
    const ids = Array.from({ length: 30 }, (_, i) => `race_${i}`);
    for (const id of ids)
      await Promise.all([
        upsertCharge(db.orm.em.fork(), stripeCharge({ id: `ch_${id}`, invoice: `in_${id}` })),
        upsertInvoice(db.orm.em.fork(), paidInvoice(`in_${id}`)),
        upsertCreditNote(db.orm.em.fork(), creditNote(`cn_${id}`, `in_${id}`)),
      ]);
    const sql = sqlFor(db.orm.em.fork());
    const unlinked = await sql.rows<{ n: unknown }>(
      `select (select count(*) from charges where stripe_charge_id like 'ch_race_%' and invoice_id is null)
            + (select count(*) from credit_notes where stripe_credit_note_id like 'cn_race_%' and invoice_id is null) as n`,
    );
    const linked = await sql.rows<{ n: unknown }>(
      `select count(*) as n from charges c join invoices i on i.id = c.invoice_id
        where c.stripe_charge_id like 'ch_race_%' and i.stripe_invoice_id = c.stripe_invoice_id`,
    );
    expect({ unlinked: Number(unlinked[0]?.n), linked: Number(linked[0]?.n) }).toEqual({
      unlinked: 0,
      linked: ids.length,
    });
  });

  it("keeps any text of a charge's payload exactly, a description as long as a payment's 1,000 characters included", async () => {
    // Graphemes are well-formed text; NUL is the one character PostgreSQL's text refuses.
    const text = (maxLength: number) =>
      fc.string({ unit: 'grapheme', maxLength }).map((t) => t.replace(/\u0000/g, ''));
    const tricky = fc.constantFrom("'; drop table charges; --", '?', '$1', '\\?', "?'?", ':name');
    const description = fc.oneof(text(40), tricky, fc.string({ minLength: 256, maxLength: 1000 }));
    const failureCode = fc.oneof(text(40), tricky);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(description, failureCode, async (desc, code) => {
        const id = `ch_text_${dialect}_${++n}`;
        await upsertCharge(
          db.orm.em.fork(),
          stripeCharge({
            id,
            invoice: null,
            description: desc,
            failure_code: code,
            status: 'failed',
            paid: false,
          }),
        );
        const row = await db.orm.em.fork().findOneOrFail(Charge, { stripeChargeId: id });
        expect({ description: row.description, failureCode: row.failureCode }).toEqual({
          description: desc,
          failureCode: code,
        });
      }),
      { numRuns: 25 },
    );
  });

  it('does not mirror a charge of a customer the engine does not know', async () => {
    const row = await upsertCharge(
      db.orm.em.fork(),
      stripeCharge({ id: 'ch_mirror_2', customer: 'cus_nobody' }),
    );
    expect(row).toBeNull();
    expect(await db.orm.em.fork().count(Charge, { stripeChargeId: 'ch_mirror_2' })).toBe(0);
  });
});

describe('charge mirror writes on postgresql', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    db = await withCustomer('postgresql');
  });
  afterAll(() => db?.close());

  /** The row's version: PostgreSQL writes a new one for every update, changed or not. */
  const version = async () =>
    (
      await sqlFor(db.orm.em.fork()).rows<{ v: string }>(
        "select xmin::text as v from charges where stripe_charge_id = 'ch_mirror_1'",
      )
    )[0]?.v;

  it('writes nothing for a copy the row already shows, and a new version for a change', async () => {
    await upsertCharge(db.orm.em.fork(), stripeCharge({ status: 'pending', paid: false }));
    await upsertCharge(db.orm.em.fork(), stripeCharge({}));
    const before = await version();
    await upsertCharge(db.orm.em.fork(), stripeCharge({}));
    expect(await version()).toBe(before);
    await upsertCharge(db.orm.em.fork(), stripeCharge({ amount_refunded: 900 }));
    expect(await version()).not.toBe(before);
  });
  it('writes a renewal from its payloads in two round trips each, three for a new invoice, BEGIN and COMMIT riding along', async () => {
    const recorder = recordPgMessages(db.orm);
    const trips = async (write: () => Promise<unknown>) => {
      recorder.clear();
      await write();
      const sent = [...recorder.messages];
      expect(sent[0]).toMatch(/^begin;/);
      expect(sent.at(-1)).toMatch(/;\ncommit$/);
      return sent.length;
    };
    try {
      const open = { ...paidInvoice('in_trips'), status: 'open', amount_paid: 0, status_transitions: {} };
      expect(await trips(() => upsertInvoice(db.orm.em.fork(), open as Stripe.Invoice))).toBe(3);
      const charge = stripeCharge({ id: 'ch_trips', invoice: 'in_trips' });
      expect(await trips(() => upsertCharge(db.orm.em.fork(), charge))).toBe(2);
      expect(await trips(() => upsertInvoice(db.orm.em.fork(), paidInvoice('in_trips')))).toBe(2);
      const refunded = stripeCharge({ id: 'ch_trips', invoice: 'in_trips', amount_refunded: 900 });
      expect(await trips(() => upsertCharge(db.orm.em.fork(), refunded))).toBe(2);
    } finally {
      recorder.restore();
    }
    const invoice = await db.orm.em.fork().findOneOrFail(Invoice, { stripeInvoiceId: 'in_trips' });
    const charge = await db.orm.em.fork().findOneOrFail(Charge, { stripeChargeId: 'ch_trips' });
    expect({ status: invoice.status, paid: invoice.amountPaidCents, linked: charge.invoice?.id }).toEqual({
      status: 'paid',
      paid: 4900,
      linked: invoice.id,
    });
    expect(charge.amountRefundedCents).toBe(900);
    const refunds = await sqlFor(db.orm.em.fork()).rows<{ n: number }>(
      "select count(*)::int as n from billing_events where dedupe_key = 'charge.refunded:ch_trips:900'",
    );
    expect(refunds[0]?.n).toBe(1);
  });
  it('writes an invoice and a charge of it at once without deadlocking on the customer’s invoice list', async () => {
    // The invoice is mirrored as a draft first; its finalized copy and its charge then arrive together.
    await upsertInvoice(db.orm.em.fork(), {
      ...paidInvoice('in_mirror_race'),
      status: 'draft',
    } as Stripe.Invoice);
    const waitingOnLinks = async () =>
      (
        await sqlFor(db.orm.em.fork()).rows<{ n: number }>(
          `select count(*)::int as n from pg_locks
           where locktype = 'advisory' and not granted
             and database = (select oid from pg_database where datname = current_database())`,
        )
      )[0]?.n ?? 0;
    let finalized: Promise<unknown> = Promise.resolve();
    await db.orm.em.fork().transactional(async (tx) => {
      // The charge's write holds the invoice's links...
      await lockInvoiceLinks(sqlFor(tx), 'in_mirror_race');
      // ...while the invoice's copy waits for them, having written nothing the charge's write needs.
      finalized = upsertInvoice(db.orm.em.fork(), paidInvoice('in_mirror_race'));
      while ((await waitingOnLinks()) === 0) await new Promise((r) => setTimeout(r, 10));
      // Linked to the invoice, the charge moves its customer's invoice list version (a trigger).
      await sqlFor(tx).run('set local lock_timeout = 10000');
      await upsertCharge(tx, stripeCharge({ id: 'ch_mirror_race', invoice: 'in_mirror_race' }));
    });
    await finalized;
    const charge = await db.orm.em.fork().findOneOrFail(Charge, { stripeChargeId: 'ch_mirror_race' });
    const invoice = await db.orm.em.fork().findOneOrFail(Invoice, { stripeInvoiceId: 'in_mirror_race' });
    expect({ status: invoice.status, linked: charge.invoice?.id }).toEqual({
      status: 'paid',
      linked: invoice.id,
    });
  });
});
