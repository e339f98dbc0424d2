import fc from 'fast-check';
import type Stripe from 'stripe';
import { upsertInvoice } from '../../db/mirror';
import { BillingEvent, Customer, Invoice, Plan, Subscription } from '../../db/entities';
import { newId } from '../../db/ids';
import type { Dialect } from '../../db/orm';
import { openTestDatabase } from '../helpers/db';
import { fixedClock } from '../../domain/clock';
import { storedInvoiceListVersion } from '../../db/invoice-list-version';

/** An invoice as Stripe sends it (a read, or an event's payload), with the fields the mirror reads. */
function stripeInvoice(id: string, customer: string, over: Partial<Record<string, unknown>>): Stripe.Invoice {
  return {
    id,
    object: 'invoice',
    customer,
    status: 'draft',
    currency: 'usd',
    subtotal: 4900,
    total: 4900,
    amount_due: 4900,
    amount_paid: 0,
    attempt_count: 0,
    created: 1_790_000_000,
    period_start: 1_790_000_000,
    period_end: 1_792_600_000,
    parent: null,
    lines: { data: [] },
    status_transitions: {},
    ...over,
  } as unknown as Stripe.Invoice;
}

/** The copies a renewal's events carry, oldest first: created, finalized, a failed attempt, paid. */
function renewal(id: string, customer: string): Stripe.Invoice[] {
  return [
    stripeInvoice(id, customer, {}),
    stripeInvoice(id, customer, { status: 'open', number: 'N-1', hosted_invoice_url: 'https://pay/1' }),
    stripeInvoice(id, customer, { status: 'open', number: 'N-1', attempt_count: 1 }),
    stripeInvoice(id, customer, {
      status: 'paid',
      number: 'N-1',
      attempt_count: 2,
      amount_paid: 4900,
      status_transitions: { paid_at: 1_790_000_100 },
    }),
  ];
}

describe.each<Dialect>(['sqlite', 'postgresql'])('invoice mirror on %s', (dialect) => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;

  beforeAll(async () => {
    db = await openTestDatabase(dialect);
  });
  afterAll(() => db?.close());

  async function customer(): Promise<{ id: string; stripeCustomerId: string }> {
    const em = db.orm.em.fork();
    const id = newId('cust');
    const c = em.create(Customer, {
      id,
      userId: `kc-${id}`,
      email: `${id}@example.com`,
      stripeCustomerId: `cus_${id}`,
    });
    await em.flush();
    return { id, stripeCustomerId: c.stripeCustomerId as string };
  }

  it('keeps a paid invoice paid when copies from before its payment land after it, and publishes its payment once', async () => {
    const c = await customer();
    const copies = renewal(`in_${c.id}`, c.stripeCustomerId);
    await upsertInvoice(db.orm.em.fork(), copies[3] as Stripe.Invoice);
    for (const older of copies.slice(0, 3)) await upsertInvoice(db.orm.em.fork(), older);
    const row = await db.orm.em.fork().findOneOrFail(Invoice, { stripeInvoiceId: `in_${c.id}` });
    expect(row).toMatchObject({ status: 'paid', attemptCount: 2, amountPaidCents: 4900, number: 'N-1' });
    const events = await db.orm.em.fork().find(BillingEvent, { customerId: c.id });
    expect(events.map((e) => e.type)).toEqual(['invoice.paid']);
  });

  it('takes each newer copy in turn, and a failed attempt is published before the payment', async () => {
    const c = await customer();
    const copies = renewal(`in_${c.id}`, c.stripeCustomerId);
    for (const copy of copies) await upsertInvoice(db.orm.em.fork(), copy);
    const row = await db.orm.em.fork().findOneOrFail(Invoice, { stripeInvoiceId: `in_${c.id}` });
    expect(row).toMatchObject({ status: 'paid', attemptCount: 2, amountPaidCents: 4900 });
    const events = await db.orm.em
      .fork()
      .find(BillingEvent, { customerId: c.id }, { orderBy: { createdAt: 'asc' } });
    expect(events.map((e) => e.type).sort()).toEqual(['invoice.paid', 'invoice.payment_failed']);
  });

  it('keeps an invoice linked to its subscription when a later copy names a subscription not found', async () => {
    const c = await customer();
    const em = db.orm.em.fork();
    const subscriptionId = newId('subs');
    em.create(Subscription, {
      id: subscriptionId,
      customer: em.getReference(Customer, c.id),
      plan: em.getReference(Plan, 'plan_starter_v1'),
      tier: 'starter',
      status: 'active',
      amountCents: 4900,
      stripeSubscriptionId: `sub_${c.id}`,
    });
    await em.flush();
    const parent = (sub: string) => ({ subscription_details: { subscription: sub, metadata: {} } });
    const [created, finalized] = renewal(`in_${c.id}`, c.stripeCustomerId);
    await upsertInvoice(db.orm.em.fork(), { ...created, parent: parent(`sub_${c.id}`) } as Stripe.Invoice);
    await upsertInvoice(db.orm.em.fork(), { ...finalized, parent: parent('sub_unknown') } as Stripe.Invoice);
    const row = await db.orm.em.fork().findOneOrFail(Invoice, { stripeInvoiceId: `in_${c.id}` });
    expect(row).toMatchObject({ status: 'open', subscription: { id: subscriptionId } });
  });

  it("keeps any text of a payload exactly, quotes, placeholders, semicolons and all, in the invoice, the customer's address and the notice", async () => {
    // Graphemes are well-formed text; NUL is the one character PostgreSQL's text refuses.
    const text = fc.string({ unit: 'grapheme', maxLength: 40 }).map((t) => t.replace(/\u0000/g, ''));
    const tricky = fc.oneof(
      text,
      fc.constantFrom("'; drop table invoices; --", '?', '$1', '\\?', "?'?", ':name'),
    );
    await fc.assert(
      fc.asyncProperty(tricky, tricky, tricky, async (number, url, city) => {
        const c = await customer();
        const id = `in_${c.id}`;
        const paid = {
          ...(renewal(id, c.stripeCustomerId)[3] as Stripe.Invoice),
          number,
          hosted_invoice_url: url,
          customer_address: { city, country: 'DE', line1: null, line2: null, postal_code: null, state: null },
        } as Stripe.Invoice;
        await upsertInvoice(db.orm.em.fork(), paid);
        const em = db.orm.em.fork();
        const row = await em.findOneOrFail(Invoice, { stripeInvoiceId: id });
        expect({ number: row.number, url: row.hostedInvoiceUrl }).toEqual({ number, url });
        const owner = await em.findOneOrFail(Customer, c.id);
        expect((owner.billingAddress as { city?: string } | null)?.city).toBe(city);
        const notice = await em.findOneOrFail(BillingEvent, { customerId: c.id, type: 'invoice.paid' });
        expect(notice.payload.number).toBe(number);
      }),
      { numRuns: 25 },
    );
  });

  it('ends at the furthest copy whatever order copies written at once arrive in', async () => {
    for (let round = 0; round < 6; round++) {
      const c = await customer();
      const copies = renewal(`in_${c.id}`, c.stripeCustomerId);
      // The first write creates the row; the rest race, in a different order each round.
      await upsertInvoice(db.orm.em.fork(), copies[0] as Stripe.Invoice);
      const shuffled = copies
        .slice(1)
        .sort((a, b) => ((a.attempt_count * 7 + round) % 5) - ((b.attempt_count * 7 + round) % 5));
      await Promise.all(shuffled.map((copy) => upsertInvoice(db.orm.em.fork(), copy)));
      const row = await db.orm.em.fork().findOneOrFail(Invoice, { stripeInvoiceId: `in_${c.id}` });
      expect(row).toMatchObject({ status: 'paid', attemptCount: 2, amountPaidCents: 4900 });
    }
  });

  it('writes nothing for a copy the row already shows, so the invoice list stays current', async () => {
    const c = await customer();
    const copies = renewal(`in_${c.id}`, c.stripeCustomerId);
    const clock = fixedClock(new Date('2026-11-01T00:00:00Z'));
    await upsertInvoice(db.orm.em.fork(), copies[1] as Stripe.Invoice, clock);
    const stored = async () => {
      const em = db.orm.em.fork();
      const row = await em.findOneOrFail(Invoice, { stripeInvoiceId: `in_${c.id}` });
      return { updatedAt: row.updatedAt.toISOString(), version: await storedInvoiceListVersion(em, c.id) };
    };
    const before = await stored();
    clock.set(new Date('2026-11-02T00:00:00Z'));
    await upsertInvoice(db.orm.em.fork(), copies[1] as Stripe.Invoice, clock);
    expect(await stored()).toEqual(before);
    await upsertInvoice(db.orm.em.fork(), copies[2] as Stripe.Invoice, clock);
    const after = await stored();
    expect(after.updatedAt).toBe('2026-11-02T00:00:00.000Z');
    expect(after.version).toBeGreaterThan(before.version as number);
  });

  it('ends at the furthest copy when copies race to create the row', async () => {
    for (let round = 0; round < 4; round++) {
      const c = await customer();
      const copies = renewal(`in_${c.id}`, c.stripeCustomerId);
      const shuffled = [...copies].sort(
        (a, b) => ((a.attempt_count * 7 + round) % 5) - ((b.attempt_count * 7 + round) % 5),
      );
      const written = await Promise.all(shuffled.map((copy) => upsertInvoice(db.orm.em.fork(), copy)));
      const row = await db.orm.em.fork().findOneOrFail(Invoice, { stripeInvoiceId: `in_${c.id}` });
      expect(row).toMatchObject({ status: 'paid', attemptCount: 2, amountPaidCents: 4900 });
      // Every writer names the one row.
      expect(new Set(written.map((w) => w?.id))).toEqual(new Set([row.id]));
      const paid = await db.orm.em.fork().count(BillingEvent, { customerId: c.id, type: 'invoice.paid' });
      expect(paid).toBe(1);
    }
  });
});
