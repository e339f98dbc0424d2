import type Stripe from 'stripe';
import { GATEWAY_ROLE, type Principal } from '../../domain/roles';
import type { TestApi } from '../helpers/api';
import { startFullStack, type FullStack } from '../helpers/full-stack';
import type { TestIdp } from '../helpers/auth';
import { bookWriter } from '../helpers/book';
import { type openTestDatabase } from '../helpers/db';

type Caller = 'anonymous' | 'viewer' | 'other customer' | 'editor' | 'admin' | 'gateway';
/** The principal each caller's token makes it (see domain/roles.ts). */
const PRINCIPAL: Record<Exclude<Caller, 'anonymous'>, Principal> = {
  viewer: 'viewer',
  'other customer': 'viewer',
  editor: 'editor',
  admin: 'admin',
  gateway: GATEWAY_ROLE,
};
const WEBHOOK_SECRET = 'whsec_rbac_secret';

interface Operation {
  path: string;
  method: string;
  role: string | undefined;
  roles: string[] | undefined;
}

/**
 * Walks every operation of /openapi.json as each kind of caller against the whole engine (real Temporal
 * dev server and worker, the Stripe emulator), so a route that passes the role check also gets past its
 * workflow: any 5xx is a failure.
 */
describe('role-based access over every route of the OpenAPI document', () => {
  let stack: FullStack;
  let idp: TestIdp;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let api: TestApi;
  let stripe: Stripe;
  let operations: Operation[];

  beforeAll(async () => {
    stack = await startFullStack({ taskQueue: 'rbac', webhookSecret: WEBHOOK_SECRET });
    ({ db, idp, stripe, api } = stack);
    const doc = (await api.request('GET', '/openapi.json')).body as {
      paths: Record<string, Record<string, { 'x-required-role'?: string; 'x-roles'?: string[] }>>;
    };
    operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({
        path,
        method,
        role: op['x-required-role'],
        roles: op['x-roles'],
      })),
    );
  }, 120_000);

  afterAll(() => stack?.stop());

  it('gives each caller exactly what the route declares, never a 5xx, and another customer a 404 for an object not theirs', async () => {
    // A finalized invoice of the emulator, so its PDF address is a Stripe address the engine fetches.
    const stripeCustomer = await stripe.customers.create({ email: 'owner@rbac.example' });
    const draft = await stripe.invoices.create({ customer: stripeCustomer.id });
    const finalized = await stripe.invoices.finalizeInvoice(draft.id!);
    const book = bookWriter(db.orm.em.fork());
    const owner = book.customer({ userId: 'user-owner', email: 'owner@rbac.example' });
    book.customer({ userId: 'user-other', email: 'other@rbac.example' });
    book.subscription(owner, { amountCents: 4900, status: 'active', createdAt: new Date() });
    const invoice = book.invoice(owner, {
      amountCents: 4900,
      createdAt: new Date(),
      invoicePdf: finalized.invoice_pdf!,
    });
    await book.flush();
    const tokens: Record<Exclude<Caller, 'anonymous'>, string> = {
      viewer: await idp.token({ sub: 'user-owner', email: 'owner@rbac.example', roles: ['viewer'] }),
      'other customer': await idp.token({ sub: 'user-other', email: 'other@rbac.example' }),
      editor: await idp.token({ email: 'editor@rbac.example', roles: ['editor'] }),
      admin: await idp.token({ email: 'admin@rbac.example', roles: ['admin'] }),
      gateway: await idp.token({ email: 'gateway@rbac.example', roles: [GATEWAY_ROLE] }),
    };

    expect(operations.length).toBe(api.routes.length);
    const undeclared = operations.filter((o) => o.role !== 'public' && !o.roles?.length);
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
    let walked = 0;
    for (const op of operations) {
      const write = op.method !== 'get';
      const url = op.path.replace(/\{([^}]+)\}/g, (_, name: string) =>
        encodeURIComponent(sample(name, write)),
      );
      for (const caller of ['anonymous', ...Object.keys(PRINCIPAL)] as Caller[]) {
        const token = caller === 'anonymous' ? undefined : tokens[caller];
        const res = await fetch(`${api.url}${url}`, {
          method: op.method.toUpperCase(),
          headers: {
            ...(token ? { authorization: `Bearer ${token}` } : {}),
            ...(write ? { 'content-type': 'application/json' } : {}),
          },
          body: write ? JSON.stringify({ rbac_probe: true }) : undefined,
          signal: AbortSignal.timeout(15_000),
        });
        const body = await res.text();
        walked++;
        let expected: string;
        let ok: boolean;
        if (op.role === 'public') {
          expected = 'neither 401 nor 403';
          ok = res.status !== 401 && res.status !== 403;
        } else if (caller === 'anonymous') {
          expected = '401';
          ok = res.status === 401;
        } else if (!op.roles?.includes(PRINCIPAL[caller])) {
          expected = '403';
          ok = res.status === 403;
        } else {
          expected = 'neither 401 nor 403';
          ok = res.status !== 401 && res.status !== 403;
        }
        if (res.status >= 500) {
          ok = false;
          expected += ', and no 5xx';
        }
        if (!ok)
          failures.push(
            `${op.method.toUpperCase()} ${op.path} as ${caller}: ${res.status} ${body.slice(0, 160)}, expected ${expected}`,
          );
      }
    }
    expect(failures).toEqual([]);
    expect(walked).toBe(operations.length * 6);

    const pdf = `/api/v1/billing/invoice/${invoice.stripeInvoiceId}/pdf`;
    expect((await api.raw(pdf, tokens.viewer)).status).toBe(200);
    expect((await api.raw(pdf, tokens['other customer'])).status).toBe(404);
    expect((await api.raw(pdf, tokens.admin)).status).toBe(404);
    expect((await api.raw(pdf, tokens.gateway)).status).toBe(403);
  }, 300_000);

  it('keeps every admin read for admins, as the seeds say, and lets editors do no more than viewers', () => {
    const declared = (o: Operation) =>
      `${o.method.toUpperCase()} ${o.path} ${o.roles?.join(',') ?? 'public'}`;
    const adminArea = operations.filter(
      (o) => o.path.startsWith('/api/v1/admin/') || o.path.startsWith('/api/v1/subscriptions/admin/'),
    );
    expect(adminArea.length).toBeGreaterThan(15);
    for (const o of adminArea) {
      const people = (o.roles ?? []).filter((r) => r !== GATEWAY_ROLE);
      expect([declared(o), people]).toEqual([declared(o), ['admin']]);
    }
    const editorOnly = operations.filter((o) => o.roles?.includes('editor') && !o.roles.includes('viewer'));
    expect(editorOnly.map(declared)).toEqual([]);
  });

  it('lets the gateway call only usage reports, access and entitlement checks, user access and the key read, which is its alone', () => {
    const gateway = operations
      .filter((o) => o.roles?.includes(GATEWAY_ROLE))
      .map((o) => `${o.method.toUpperCase()} ${o.path}`)
      .sort();
    expect(gateway).toEqual([
      'GET /api/v1/byok/gateway/keys/{provider}',
      'GET /api/v1/entitlements',
      'GET /api/v1/entitlements/check',
      'GET /api/v1/entitlements/snapshot',
      'GET /api/v1/subscriptions/admin/user-access/{user_id}',
      'POST /api/v1/billing/report_usage',
      'POST /api/v1/entitlements/check',
      'POST /api/v1/subscriptions/check-access/{service}',
    ]);
    // No person's token, however high, reads a decrypted key.
    const keyRead = operations.find((o) => o.path === '/api/v1/byok/gateway/keys/{provider}');
    expect(keyRead?.roles).toEqual([GATEWAY_ROLE]);
  });
});
