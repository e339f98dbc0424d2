import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import type Stripe from 'stripe';
import { createStripeClient } from '../../integrations/stripe/client';
import { Charge, CreditNote, Customer, Invoice, Refund } from '../../db/entities';
import { newId } from '../../db/ids';
import { startStripeEmulator, type StripeEmulator } from '../../tools/stripe-emulator';
import { openTestDatabase } from '../helpers/db';

const ROOT = resolve(__dirname, '../..');

/** `npm run stripe:backfill-charges` as an operator runs it: its own process, configured by the environment. */
function runBackfill(env: Record<string, string>): Promise<{ code: number; out: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [require.resolve('tsx/cli'), 'tools/stripe-backfill-charges.ts'],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', NODE_ENV: 'test', ...env },
        timeout: 120_000,
      },
      (err, stdout, stderr) => done({ code: err ? Number(err.code ?? 1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}

describe.each(['sqlite', 'postgresql'] as const)('npm run stripe:backfill-charges (%s)', (dialect) => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let emulator: StripeEmulator;
  let stripe: Stripe;
  let env: Record<string, string>;

  beforeAll(async () => {
    // No webhook endpoint: nothing reaches the mirror but the backfill.
    [db, emulator] = await Promise.all([openTestDatabase(dialect), startStripeEmulator({ port: 0 })]);
    stripe = createStripeClient({ apiBase: emulator.url }) as Stripe;
    env = { DATABASE_URL: db.url, STRIPE_API_BASE: emulator.url };
  });
  afterAll(async () => {
    await emulator?.stop();
    await db?.close();
  });

  /** A Stripe customer with a paid monthly subscription; known to the engine unless `known` is false. */
  async function paying(name: string, amount: number, known = true) {
    const customer = await stripe.customers.create({ email: `${name}-${dialect}@example.com` });
    const price = await stripe.prices.create({
      currency: 'usd',
      unit_amount: amount,
      recurring: { interval: 'month' },
      product_data: { name },
    });
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      default_payment_method: 'pm_card_visa',
    });
    const invoice = await stripe.invoices.retrieve(sub.latest_invoice as string);
    expect(invoice.status).toBe('paid');
    const [charge] = (await stripe.charges.list({ customer: customer.id })).data;
    if (known) {
      const em = db.orm.em.fork();
      em.create(Customer, {
        id: newId('cust'),
        userId: `kc-${name}`,
        email: customer.email as string,
        stripeCustomerId: customer.id,
      });
      await em.flush();
    }
    return { customer, invoice, charge: charge as Stripe.Charge };
  }

  /** Every row the backfill reads or writes, in a stable order, to compare runs. */
  async function mirror() {
    const em = db.orm.em.fork();
    const rows = async <T extends object>(entity: new () => T, by: keyof T & string) =>
      JSON.stringify(await em.find(entity, {}, { orderBy: { [by]: 'asc' } as never }));
    return {
      charges: await rows(Charge, 'stripeChargeId'),
      refunds: await rows(Refund, 'stripeRefundId'),
      creditNotes: await rows(CreditNote, 'stripeCreditNoteId'),
      invoices: await rows(Invoice, 'stripeInvoiceId'),
      customers: await rows(Customer, 'id'),
    };
  }

  it('mirrors the charges, refunds, disputes, credit notes and invoices of an existing account, and a second run changes nothing', async () => {
    const a = await paying('backfill-a', 4900);
    await stripe.refunds.create({ charge: a.charge.id, amount: 1000 });
    const note = await stripe.creditNotes.create({
      invoice: a.invoice.id as string,
      amount: 500,
      reason: 'duplicate',
    });
    const b = await paying('backfill-b', 1900);
    const dispute = emulator.openDispute(b.charge.id) as { id: string };
    emulator.closeDispute(dispute.id, 'lost');
    const c = await paying('backfill-c', 9900);
    await paying('backfill-stranger', 2900, false);

    const first = await runBackfill(env);
    expect(first.code).toBe(0);
    expect(first.out).toContain(
      'charges       4 seen: 3 new, 0 updated, 0 unchanged, 1 of customers the engine does not know (skipped)',
    );
    expect(first.out).toContain('refunds       1 seen: 1 new, 0 updated, 0 unchanged');
    expect(first.out).toContain('disputes      1 charges with a dispute');
    expect(first.out).toContain('credit notes  1 seen: 1 new, 0 updated, 0 unchanged');
    expect(first.out).toContain('invoices      3 seen: 3 new, 0 updated, 0 unchanged');

    const em = db.orm.em.fork();
    const charges = await em.find(Charge, {}, { populate: ['invoice', 'customer'] });
    const byId = new Map(charges.map((ch) => [ch.stripeChargeId, ch]));
    expect(charges).toHaveLength(3);
    expect(byId.get(a.charge.id)).toMatchObject({
      amountCents: 4900,
      amountRefundedCents: 1000,
      status: 'succeeded',
      cardBrand: 'visa',
      cardLast4: '4242',
      stripeInvoiceId: a.invoice.id,
    });
    expect(byId.get(a.charge.id)?.invoice?.stripeInvoiceId).toBe(a.invoice.id);
    expect(byId.get(b.charge.id)).toMatchObject({
      amountCents: 1900,
      stripeDisputeId: dispute.id,
      disputeStatus: 'lost',
      disputedAmountCents: 1900,
    });
    expect(byId.get(c.charge.id)).toMatchObject({
      amountCents: 9900,
      amountRefundedCents: 0,
      disputeStatus: null,
    });
    expect(await em.find(Refund, {})).toEqual([
      expect.objectContaining({ amountCents: 1000, status: 'succeeded', stripeInvoiceId: a.invoice.id }),
    ]);
    expect(await em.find(CreditNote, {})).toEqual([
      expect.objectContaining({
        stripeCreditNoteId: note.id,
        amountCents: 500,
        creditedCents: 500,
        stripeInvoiceId: a.invoice.id,
      }),
    ]);
    expect(
      (await em.find(Invoice, {})).map((i) => [i.stripeInvoiceId, i.status, i.amountPaidCents]).sort(),
    ).toEqual(
      [
        [a.invoice.id, 'paid', 4900],
        [b.invoice.id, 'paid', 1900],
        [c.invoice.id, 'paid', 9900],
      ].sort(),
    );

    const before = await mirror();
    const second = await runBackfill(env);
    expect(second.code).toBe(0);
    expect(second.out).toContain('charges       4 seen: 0 new, 0 updated, 3 unchanged');
    expect(second.out).toContain('the mirror already matches Stripe');
    expect(await mirror()).toEqual(before);

    // What changed in Stripe since, and only that, is written by the next run.
    await stripe.refunds.create({ charge: c.charge.id, amount: 9900 });
    const third = await runBackfill(env);
    expect(third.out).toContain('charges       4 seen: 0 new, 1 updated, 2 unchanged');
    expect(third.out).toContain('refunds       2 seen: 1 new, 0 updated, 1 unchanged');
    const refunded = await db.orm.em.fork().findOneOrFail(Charge, { stripeChargeId: c.charge.id });
    expect(refunded).toMatchObject({ amountRefundedCents: 9900, refunded: true });
    const after = await mirror();
    expect((await runBackfill(env)).out).toContain('the mirror already matches Stripe');
    expect(await mirror()).toEqual(after);
  });

  it('stops with a message naming what is missing when Stripe is not configured', async () => {
    const res = await runBackfill({ DATABASE_URL: db.url });
    expect(res.code).not.toBe(0);
    expect(res.out).toContain('STRIPE_SECRET_KEY');
  });
});
