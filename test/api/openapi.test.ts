import { COUPON_REFUSAL_CODES } from '../../domain/coupons';
import { loadOrCreateLocalKey, signToken } from '../../services/auth/local-key';
import { startTestApi, type TestApi } from '../helpers/api';
import { openTestDatabase } from '../helpers/db';

describe('API surface', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let api: TestApi;
  beforeAll(async () => {
    db = await openTestDatabase('sqlite');
    api = await startTestApi({ orm: db.orm, env: { VAR_DIR: `${db.url.slice('sqlite:'.length)}.var` } });
  });
  afterAll(async () => {
    await api.stop();
    await db.close();
  });

  it('publishes an OpenAPI 3.1 document in which every operation states the role it needs', async () => {
    const { status, body } = await api.request('GET', '/openapi.json');
    expect(status).toBe(200);
    expect(body.openapi).toBe('3.1.0');
    const operations = Object.values(
      body.paths as Record<string, Record<string, { 'x-required-role': string }>>,
    ).flatMap((ops) => Object.values(ops));
    expect(operations.length).toBe(api.routes.length);
    for (const op of operations)
      expect([
        'public',
        'viewer',
        'editor',
        'admin',
        'billing-gateway',
        'viewer|billing-gateway',
        'admin|billing-gateway',
      ]).toContain(op['x-required-role']);
    expect(body.paths['/api/v1/subscriptions/plans/{plan_id}'].get.parameters[0]).toMatchObject({
      name: 'plan_id',
      in: 'path',
    });
  });

  it('serves the interactive docs from its own files, scripts from itself only, and a table without JavaScript', async () => {
    const res = await fetch(`${api.url}/docs`);
    expect(res.headers.get('content-type')).toContain('text/html');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*(unsafe-inline|https?:)/);
    const html = await res.text();
    // No inline script and nothing from another origin.
    expect(html).not.toMatch(/<script>(?!<\/script>)/);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    for (const src of html.matchAll(/(?:src|href)="(\/docs\/assets\/[^"]+)"/g)) {
      const asset = await fetch(`${api.url}${src[1]}`);
      expect({ path: src[1], status: asset.status }).toEqual({ path: src[1], status: 200 });
      expect((await asset.text()).length).toBeGreaterThan(20);
    }
    expect(html).toContain('/docs/assets/swagger-ui-bundle.js');
    expect((await fetch(`${api.url}/docs/assets/docs-init.js`)).status).toBe(200);
    expect(await (await fetch(`${api.url}/docs/assets/docs-init.js`)).text()).toContain(
      "url: '/openapi.json'",
    );
    // Nothing else of the package, nor of the file system, is reachable.
    expect((await fetch(`${api.url}/docs/assets/package.json`)).status).toBe(404);
    expect((await fetch(`${api.url}/docs/assets/..%2F..%2Fpackage.json`)).status).toBe(404);
    expect(html).toContain('/api/v1/subscriptions/plans');
    expect(html).toContain('/api/v1/admin/audit-log');
  });

  it('declares a summary and the bearer scheme for every route, and its errors for every protected one', async () => {
    const body = (await api.request('GET', '/openapi.json')).body;
    expect(body.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    const missing: string[] = [];
    for (const [path, ops] of Object.entries(
      body.paths as Record<
        string,
        Record<string, { summary?: string; responses: Record<string, unknown>; 'x-required-role': string }>
      >,
    )) {
      for (const [method, op] of Object.entries(ops)) {
        if (!op.summary) missing.push(`${method} ${path}: summary`);
        const errors = Object.keys(op.responses).filter((s) => s.startsWith('4') || s.startsWith('5'));
        if (op['x-required-role'] !== 'public' && errors.length === 0)
          missing.push(`${method} ${path}: errors`);
      }
    }
    expect(missing).toEqual([]);
  });

  // A client generated from the document (the web app's is) knows an error by its declared status and code.
  it('declares every reason a promotion code is refused, by its full code, where a code is typed', async () => {
    const paths = (await api.request('GET', '/openapi.json')).body.paths as Record<
      string,
      Record<string, { responses: Record<string, { description: string }> }>
    >;
    const checkout = paths['/api/v1/billing/checkout/create']!.post!.responses;
    const refusals = ['promotion_code_unknown', ...COUPON_REFUSAL_CODES];
    const undeclared = refusals.filter((code) => !checkout['400']!.description.includes(code));
    expect(undeclared).toEqual([]);
    expect(checkout['503']?.description).toContain('promotion_code_not_synced');
    const upgrade = paths['/api/v1/billing/subscription/upgrade']!.post!.responses;
    expect(upgrade['400']?.description).toContain('the reasons of checkout/create');
    expect(upgrade['503']?.description).toContain('promotion_code_not_synced');
  });

  it('declares the 404 attach_payment_method answers for a card Stripe does not know', async () => {
    const paths = (await api.request('GET', '/openapi.json')).body.paths;
    expect(paths['/api/v1/stripe/attach_payment_method'].post.responses['404']?.description).toContain(
      'payment_method_not_found',
    );
  });

  it('answers an unknown route with the one error shape', async () => {
    const res = await api.request('GET', '/api/v1/nowhere');
    expect({ status: res.status, body: res.body }).toEqual({
      status: 404,
      body: { error: { code: 'route_not_found', message: 'No route for GET /api/v1/nowhere', details: {} } },
    });
  });

  it('names the field at fault when input is invalid', async () => {
    const res = await api.request('GET', '/api/v1/subscriptions/plans/NOT%20A%20CODE');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details.field).toBe('params.plan_id');
  });

  it('rejects a body that is not JSON with a clear code', async () => {
    // Signed in: bodies are read only once the caller may call the route.
    const token = await signToken(await loadOrCreateLocalKey(api.config.VAR_DIR), {
      sub: 'local-json@example.com',
      email: 'json@example.com',
      roles: ['viewer'],
      clientId: api.config.OIDC_CLIENT_ID,
      ttlSeconds: 600,
    });
    const res = await fetch(`${api.url}/api/v1/stripe/create_customer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: '{"name":',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_json');
  });

  it('sends a request id back, keeping a sane one the caller chose', async () => {
    const res = await fetch(`${api.url}/healthz`, { headers: { 'x-request-id': 'abc-123' } });
    expect(res.headers.get('x-request-id')).toBe('abc-123');
    const other = await fetch(`${api.url}/healthz`, { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(other.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('lists the seeded plans with dollar and cent prices', async () => {
    const res = await api.request('GET', '/api/v1/subscriptions/plans');
    expect(res.status).toBe(200);
    expect(res.body.map((p: { id: string }) => p.id)).toEqual([
      'trial',
      'starter',
      'professional',
      'enterprise',
    ]);
    expect(res.body[0]).toMatchObject({
      price_monthly: 1,
      price_monthly_cents: 100,
      trial_days: 7,
      daily_api_calls: 100,
    });
  });
});
