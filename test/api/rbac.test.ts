import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bookWriter, startBillingTestApi } from '../helpers/book';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { openTestDatabase } from '../helpers/db';

type Role = 'public' | 'viewer' | 'editor' | 'admin';
type Caller = 'anonymous' | 'viewer' | 'other customer' | 'editor' | 'admin';
const RANK: Record<Role, number> = { public: -1, viewer: 0, editor: 1, admin: 2 };
const CALLER_RANK: Record<Caller, number> = {
  anonymous: -1,
  viewer: 0,
  'other customer': 0,
  editor: 1,
  admin: 2,
};

describe('role-based access over every route of the OpenAPI document', () => {
  let idp: TestIdp;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let api: Awaited<ReturnType<typeof startBillingTestApi>>;
  let pdfServer: Server;

  beforeAll(async () => {
    pdfServer = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/pdf' }).end('%PDF-1.4'),
    );
    await new Promise<void>((r) => pdfServer.listen(0, '127.0.0.1', r));
    const pdfBase = `http://127.0.0.1:${(pdfServer.address() as AddressInfo).port}`;
    [idp, db] = await Promise.all([startTestIdp(), openTestDatabase('sqlite')]);
    api = await startBillingTestApi({
      orm: db.orm,
      env: { OIDC_ISSUER: idp.issuer, OIDC_JWKS_URL: idp.jwksUrl, STRIPE_API_BASE: pdfBase },
    });
  });
  afterAll(async () => {
    await api.stop();
    await Promise.all([idp.stop(), db.close(), new Promise((r) => pdfServer.close(r))]);
  });

  it('gives each caller exactly what the route declares, and another customer a 404 for an object not theirs', async () => {
    const book = bookWriter(db.orm.em.fork());
    const owner = book.customer({ userId: 'user-owner', email: 'owner@rbac.example' });
    book.customer({ userId: 'user-other', email: 'other@rbac.example' });
    book.subscription(owner, { amountCents: 4900, status: 'active', createdAt: new Date() });
    const invoice = book.invoice(owner, {
      amountCents: 4900,
      createdAt: new Date(),
      invoicePdf: `${api.config.STRIPE_API_BASE}/invoice.pdf`,
    });
    await book.flush();
    const tokens: Record<Exclude<Caller, 'anonymous'>, string> = {
      viewer: await idp.token({ sub: 'user-owner', email: 'owner@rbac.example', roles: ['viewer'] }),
      'other customer': await idp.token({ sub: 'user-other', email: 'other@rbac.example' }),
      editor: await idp.token({ email: 'editor@rbac.example', roles: ['editor'] }),
      admin: await idp.token({ email: 'admin@rbac.example', roles: ['admin'] }),
    };

    const doc = (await api.request('GET', '/openapi.json')).body as {
      paths: Record<string, Record<string, { 'x-required-role'?: string }>>;
    };
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ path, method, role: op['x-required-role'] })),
    );
    expect(operations.length).toBe(api.routes.length);
    const undeclared = operations.filter(
      (o) => !['public', 'viewer', 'editor', 'admin'].includes(o.role ?? ''),
    );
    expect(undeclared).toEqual([]);

    // Reads get real objects; writes get ids that do not exist and a body no strict schema accepts, so the
    // walk changes nothing once past the role check.
    const sample = (name: string, write: boolean): string =>
      ({
        stripe_invoice_id: invoice.stripeInvoiceId,
        email: write ? 'nobody@rbac.example' : 'owner@rbac.example',
        plan_id: write ? 'rbac-none' : 'starter',
        provider: 'openai',
        user_id: 'user-owner',
        service: 'chat',
      })[name] ?? 'x';

    const failures: string[] = [];
    for (const op of operations) {
      const write = op.method !== 'get';
      const url = op.path.replace(/\{([^}]+)\}/g, (_, name: string) =>
        encodeURIComponent(sample(name, write)),
      );
      const required = RANK[op.role as Role];
      for (const caller of Object.keys(CALLER_RANK) as Caller[]) {
        const token = caller === 'anonymous' ? undefined : tokens[caller];
        const res = await fetch(`${api.url}${url}`, {
          method: op.method.toUpperCase(),
          headers: {
            ...(token ? { authorization: `Bearer ${token}` } : {}),
            ...(write ? { 'content-type': 'application/json' } : {}),
          },
          body: write ? JSON.stringify({ rbac_probe: true }) : undefined,
          signal: AbortSignal.timeout(10_000),
        });
        await res.arrayBuffer();
        let expected: string;
        let ok: boolean;
        if (caller === 'anonymous' && required >= 0) {
          expected = '401';
          ok = res.status === 401;
        } else if (CALLER_RANK[caller] < required) {
          expected = '403';
          ok = res.status === 403;
        } else {
          expected = 'neither 401 nor 403';
          ok = res.status !== 401 && res.status !== 403;
        }
        if (!ok)
          failures.push(
            `${op.method.toUpperCase()} ${op.path} as ${caller}: ${res.status}, expected ${expected}`,
          );
      }
    }
    expect(failures).toEqual([]);

    const pdf = `/api/v1/billing/invoice/${invoice.stripeInvoiceId}/pdf`;
    expect((await api.raw(pdf, tokens.viewer)).status).toBe(200);
    expect((await api.raw(pdf, tokens['other customer'])).status).toBe(404);
    expect((await api.raw(pdf, tokens.admin)).status).toBe(404);
  });

  it('declares the billing read routes for editors and the subscription change for admins only', async () => {
    const doc = (await api.request('GET', '/openapi.json')).body as {
      paths: Record<string, Record<string, { 'x-required-role': string }>>;
    };
    const role = (path: string, method = 'get') => doc.paths[`/api/v1${path}`]?.[method]?.['x-required-role'];
    for (const path of [
      '/admin/billing/stats',
      '/admin/billing/customers',
      '/admin/billing/subscriptions',
      '/admin/billing/recent-charges',
      '/admin/revenue',
      '/admin/revenue/timeseries',
      '/admin/subscriptions',
      '/admin/subscriptions/list',
      '/admin/subscriptions/{email}',
      '/admin/subscriptions/analytics/overview',
      '/admin/subscriptions/analytics/revenue-by-tier',
    ]) {
      expect([path, role(path)]).toEqual([path, 'editor']);
    }
    expect(role('/admin/subscriptions/{email}', 'patch')).toBe('admin');
    expect(role('/billing/invoices')).toBe('viewer');
    expect(role('/billing/invoice/{stripe_invoice_id}/pdf')).toBe('viewer');
  });
});
