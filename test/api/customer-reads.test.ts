import { bookWriter, DAY, startBillingTestApi } from '../helpers/book';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { openTestDatabase } from '../helpers/db';
import { Invoice, PaymentMethod } from '../../db/entities';
import { newId } from '../../db/ids';
import { invoiceDto } from '../../services/invoices/own-invoices';
import type { InvoiceRow } from '../../db/customer-reads';

/**
 * The customer invoice list reads plain SQL (db/customer-reads.ts) with the caller's customer id cached:
 * its answer must be the one the entities give, byte for byte, on both dialects.
 */
describe.each(['sqlite', 'postgresql'] as const)('customer reads on %s', (dialect) => {
  let idp: TestIdp;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let api: Awaited<ReturnType<typeof startBillingTestApi>>;

  beforeAll(async () => {
    [idp, db] = await Promise.all([startTestIdp(), openTestDatabase(dialect)]);
    api = await startBillingTestApi({
      orm: db.orm,
      env: { OIDC_ISSUER: idp.issuer, OIDC_JWKS_URL: idp.jwksUrl },
    });
  });
  afterAll(async () => {
    await api.stop();
    await Promise.all([idp.stop(), db.close()]);
  });

  const tokenOf = (name: string) => idp.token({ sub: `user-${name}`, email: `${name}@example.com` });

  it('answers what the entities give, refunds and credit notes included, and never another customer’s', async () => {
    const book = bookWriter(db.orm.em.fork());
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

    const res = await api.raw('/api/v1/billing/invoices?limit=10', await tokenOf('me'));
    expect(res.status).toBe(200);
    const text = await res.text();
    const entities = await db.orm.em
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
    expect((await api.request('GET', '/api/v1/billing/invoices', { token })).body).toEqual([]);
    const book = bookWriter(db.orm.em.fork());
    const late = book.customer({ userId: 'user-late', email: 'late@example.com' });
    const at = new Date(Date.now() - 5 * DAY);
    for (let i = 0; i < 5; i++) book.invoice(late, { amountCents: 100 + i, createdAt: at, number: `L-${i}` });
    await book.flush();

    const seen: string[] = [];
    let path = '/api/v1/billing/invoices?limit=2';
    for (let page = 0; page < 5; page++) {
      const res = await api.raw(path, token);
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
    const em = db.orm.em.fork();
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

    const res = await api.raw('/api/v1/billing/payment-methods', await tokenOf('card'));
    expect(res.status).toBe(200);
    const entities = await db.orm.em
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
    const none = await api.request('GET', '/api/v1/billing/payment-methods', {
      token: await tokenOf('nobody'),
    });
    expect(none.body).toEqual([]);
  });
});
