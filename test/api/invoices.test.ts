import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bookWriter, DAY, startBillingTestApi } from '../helpers/book';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { openTestDatabase } from '../helpers/db';

const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');

/** A stand-in for Stripe's file host: serves a PDF at /files/<name>.pdf, counts what it was asked. */
async function startPdfHost(): Promise<{ base: string; hits: string[]; stop(): Promise<void> }> {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(req.url ?? '');
    if (req.url?.startsWith('/redirect/')) {
      res.writeHead(302, { location: `/files/${req.url.slice('/redirect/'.length)}` }).end();
    } else if (req.url?.startsWith('/files/')) {
      res.writeHead(200, { 'content-type': 'application/pdf', 'content-length': PDF.length }).end(PDF);
    } else {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('boom');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    stop: () => new Promise((r) => server.close(() => r())),
  };
}

describe('invoices', () => {
  let idp: TestIdp;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let pdfHost: Awaited<ReturnType<typeof startPdfHost>>;
  let elsewhere: Awaited<ReturnType<typeof startPdfHost>>;
  let api: Awaited<ReturnType<typeof startBillingTestApi>>;

  beforeAll(async () => {
    [idp, db, pdfHost, elsewhere] = await Promise.all([
      startTestIdp(),
      openTestDatabase('sqlite'),
      startPdfHost(),
      startPdfHost(),
    ]);
    api = await startBillingTestApi({
      orm: db.orm,
      // In development the mirror's PDF URLs point at the emulator, which is STRIPE_API_BASE.
      env: { OIDC_ISSUER: idp.issuer, OIDC_JWKS_URL: idp.jwksUrl, STRIPE_API_BASE: pdfHost.base },
    });
  });
  afterAll(async () => {
    await api.stop();
    await Promise.all([idp.stop(), db.close(), pdfHost.stop(), elsewhere.stop()]);
  });

  async function customerWithToken(name: string) {
    const book = bookWriter(db.orm.em.fork());
    const customer = book.customer({ userId: `user-${name}`, email: `${name}@example.com` });
    const token = await idp.token({ sub: `user-${name}`, email: `${name}@example.com` });
    return { book, customer, token };
  }

  it("lists the caller's invoices in the seed's fields, newest first, page by page through X-Next-Cursor", async () => {
    const { book, customer, token } = await customerWithToken('pages');
    const base = Date.now() - 100 * DAY;
    for (let i = 0; i < 5; i++) {
      book.invoice(customer, {
        amountCents: 4900 + i,
        createdAt: new Date(base + i * DAY),
        number: `N-${i}`,
      });
    }
    book.invoice(customer, { amountCents: 1900, createdAt: new Date(base + 10 * DAY), status: 'open' });
    await book.flush();

    const first = await api.raw('/api/v1/billing/invoices?limit=4', token);
    expect(first.status).toBe(200);
    const page1 = (await first.json()) as Record<string, unknown>[];
    expect(Array.isArray(page1)).toBe(true);
    expect(page1).toHaveLength(4);
    expect(page1[0]).toMatchObject({
      id: expect.stringMatching(/^in_/),
      amount_due: 19,
      amount_paid: 0,
      amount_due_cents: 1900,
      currency: 'usd',
      status: 'open',
      paid: false,
      created: new Date(base + 10 * DAY).toISOString(),
      due_date: new Date(base + 17 * DAY).toISOString(),
      invoice_pdf: null,
      hosted_invoice_url: null,
    });
    expect(page1[1]).toMatchObject({ number: 'N-4', amount_paid: 49.04, paid: true });
    const cursor = first.headers.get('x-next-cursor');
    expect(cursor).toBeTruthy();
    expect(first.headers.get('link')).toContain('rel="next"');

    const second = await api.raw(`/api/v1/billing/invoices?limit=4&cursor=${cursor}`, token);
    const page2 = (await second.json()) as { number: string }[];
    expect(page2.map((i) => i.number)).toEqual(['N-1', 'N-0']);
    expect(second.headers.get('x-next-cursor')).toBeNull();
  });

  it('answers an empty list to a caller who never had an invoice, and 400 to a forged cursor', async () => {
    const { book, token } = await customerWithToken('none');
    expect((await api.request('GET', '/api/v1/billing/invoices', { token })).body).toEqual([]);
    await book.flush();
    expect((await api.request('GET', '/api/v1/billing/invoices', { token })).body).toEqual([]);
    const bad = await api.request('GET', '/api/v1/billing/invoices?cursor=not-a-cursor', { token });
    expect(bad.status).toBe(400);
  });

  it("streams the PDF of the caller's own invoice, following Stripe's redirect to the file", async () => {
    const { book, customer, token } = await customerWithToken('pdf-owner');
    const inv = book.invoice(customer, {
      amountCents: 4900,
      createdAt: new Date(),
      number: 'INV-0001',
      invoicePdf: `${pdfHost.base}/redirect/inv1.pdf`,
    });
    await book.flush();
    const res = await api.raw(`/api/v1/billing/invoice/${inv.stripeInvoiceId}/pdf`, token);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('content-disposition')).toBe('inline; filename="INV-0001.pdf"');
    expect(Buffer.from(await res.arrayBuffer())).toEqual(PDF);
  });

  it("answers 404 for another customer's invoice without fetching its PDF", async () => {
    const owner = await customerWithToken('victim');
    const other = await customerWithToken('intruder');
    const inv = owner.book.invoice(owner.customer, {
      amountCents: 4900,
      createdAt: new Date(),
      invoicePdf: `${pdfHost.base}/files/secret.pdf`,
    });
    await owner.book.flush();
    await other.book.flush();
    const before = pdfHost.hits.length;
    const res = await api.request('GET', `/api/v1/billing/invoice/${inv.stripeInvoiceId}/pdf`, {
      token: other.token,
    });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('invoice_not_found');
    expect(pdfHost.hits.length).toBe(before);
    const listed = await api.request('GET', '/api/v1/billing/invoices', { token: other.token });
    expect(listed.body).toEqual([]);
  });

  it('never fetches a PDF address outside Stripe and the configured Stripe base, and reports a failing host', async () => {
    const { book, customer, token } = await customerWithToken('pdf-odd');
    const foreign = book.invoice(customer, {
      amountCents: 100,
      createdAt: new Date(),
      invoicePdf: `${elsewhere.base}/files/x.pdf`,
    });
    const broken = book.invoice(customer, {
      amountCents: 100,
      createdAt: new Date(),
      invoicePdf: `${pdfHost.base}/fails`,
    });
    await book.flush();
    const a = await api.request('GET', `/api/v1/billing/invoice/${foreign.stripeInvoiceId}/pdf`, { token });
    expect(a.status).toBe(502);
    expect(elsewhere.hits).toEqual([]);
    const b = await api.request('GET', `/api/v1/billing/invoice/${broken.stripeInvoiceId}/pdf`, { token });
    expect(b.status).toBe(502);
    expect(b.body.error.code).toBe('invoice_pdf_unavailable');
  });
});
