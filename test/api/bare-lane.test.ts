import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import Koa from 'koa';
import fc from 'fast-check';
import { z } from 'zod';
import type { AppDeps } from '../../api/deps';
import { withBareLane } from '../../api/routing/bare-lane';
import { defineRoute, mount, type AnyRoute, type RouteSpec } from '../../api/routing/define-route';
import { createLogger } from '../../config/logger';
import { authenticate } from '../../api/middleware/authenticate';
import { GATEWAY_ROLE } from '../../domain/roles';
import { bareLaneRequests, httpRequestsInFlight } from '../../telemetry/api-metrics';
import { comparable, sendCounted, type Sent } from '../helpers/koa-alone';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { openTestDatabase } from '../helpers/db';
import { startTestApi, type TestApi } from '../helpers/api';
import { seedSubscriber } from '../usage/fixtures';

/**
 * The gateway's questions (check-access, the entitlements, their check and snapshot) are answered beside
 * Koa's chain when the request is plain. Whatever a caller sends, the answer must be the one Koa's chain
 * alone gives: status, headers, body, the request id, and the route the request metrics count it under.
 */
describe('the bare lane answers as Koa does', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let idp: TestIdp;
  let api: TestApi;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    [db, idp] = await Promise.all([openTestDatabase('sqlite'), startTestIdp()]);
    api = await startTestApi({
      orm: db.orm,
      env: { OIDC_ISSUER: idp.issuer, OIDC_JWKS_URL: idp.jwksUrl },
      koaAlone: true,
    });
    const periodStart = new Date(Date.now() - 86_400_000);
    await seedSubscriber(db.orm, { email: 'pro@bare.example', plan: 'professional', periodStart });
    await seedSubscriber(db.orm, { email: 'free@bare.example', plan: 'starter', periodStart });
    await seedSubscriber(db.orm, { email: 'zo\u00e9@bare.example', plan: 'professional', periodStart });
    tokens.gateway = await idp.token({
      sub: 'svc-ai-gateway',
      extra: { preferred_username: 'service-account-ai-gateway', azp: 'ai-gateway' },
      clientRoles: { 'billing-engine': [GATEWAY_ROLE] },
    });
    tokens.pro = await idp.token({ sub: 'kc-pro@bare.example', email: 'pro@bare.example' });
    tokens.stranger = await idp.token({ sub: 'kc-nobody@bare.example', email: 'nobody@bare.example' });
    tokens.admin = await idp.token({ email: 'boss@bare.example', roles: ['admin'] });
    tokens.expired = await idp.token({ email: 'pro@bare.example', expiresIn: '-60s' });
    tokens.forged = await idp.forgedToken({ email: 'pro@bare.example' });
  });
  afterAll(async () => {
    await api?.stop();
    await Promise.all([db?.close(), idp?.stop()]);
  });

  const bothWays = async (sent: Sent) => ({
    bare: await sendCounted(api.url, sent),
    koa: await sendCounted(api.koaUrl as string, sent),
  });

  const services = [
    'api',
    'chat',
    'Chat',
    '%63hat',
    'a%20b',
    '%ZZ',
    '%C3%A9',
    '%ED%A0%80',
    'x'.repeat(70),
    '',
  ];
  const paths = [
    ...services.map((s) => `/api/v1/subscriptions/check-access/${s}`),
    '/api/v1/subscriptions/check-access/api/',
    '/API/v1/subscriptions/check-access/api',
    '/api/v1/entitlements',
    '/api/v1/entitlements/',
    '/api/v1/Entitlements',
    '/api/v1/entitlements/check',
    '/api/v1/entitlements/snapshot',
    '/api/v1/entitlements/jwks.json',
    '/api/v1/subscriptions/my-access',
    '//api/v1/entitlements',
  ];
  const queryKeys = [
    'user_id',
    'customer_email',
    'subject',
    'feature',
    'quantity',
    'in_use',
    'extra',
    '__proto__',
  ];
  const queryValues = [
    'kc-pro@bare.example',
    'kc-free@bare.example',
    'pro@bare.example',
    'PRO%40bare.example',
    'nobody@bare.example',
    'api_calls',
    'seats',
    '1',
    '-1',
    '0',
    '1e309',
    'NaN',
    '',
    '%FF',
    '%00',
    '%0A',
    '%E2%80%AE',
    '%ED%A0%80',
    '%F0%9F%92%B8',
    'a+b',
    'x'.repeat(300),
    'proj-1',
  ];
  const hostile = fc.record({
    method: fc.constantFrom('GET', 'POST', 'POST', 'GET', 'HEAD', 'PUT'),
    path: fc.constantFrom(...paths),
    query: fc.array(fc.tuple(fc.constantFrom(...queryKeys), fc.constantFrom(...queryValues)), {
      maxLength: 4,
    }),
    auth: fc.constantFrom(
      'gateway',
      'gateway',
      'pro',
      'stranger',
      'admin',
      'expired',
      'forged',
      'none',
      'garbage',
      'basic',
      'two',
    ),
    requestId: fc.option(fc.constantFrom('req-1.a:b', 'has space', 'x'.repeat(129), ''), { nil: undefined }),
    body: fc.option(fc.constantFrom('{}', '{"feature":"seats"}', 'null'), { nil: undefined }),
  });

  // Mostly well-formed questions as a gateway or a person asks them, so the lane serves many of them.
  const wellFormed = fc.record({
    method: fc.constant('POST'),
    path: fc.constantFrom(...services.map((name) => `/api/v1/subscriptions/check-access/${name}`)),
    query: fc.array(
      fc.constantFrom<[string, string]>(
        ['user_id', 'kc-pro@bare.example'],
        ['user_id', 'kc-free@bare.example'],
        ['customer_email', 'pro@bare.example'],
        ['subject', 'proj-1'],
        ['subject', '%FF'],
        ['subject', '%00'],
        ['subject', 'x'.repeat(300)],
        ['user_id', '%E2%80%AEkc-pro@bare.example'],
        ['user_id', 'kc-pro%FF'],
        // Decomposed, as a caller may send it: the engine compares text in NFC, and finds this customer.
        ['user_id', 'kc-zoe%CC%81@bare.example'],
      ),
      { maxLength: 2 },
    ),
    auth: fc.constantFrom('gateway', 'gateway', 'pro', 'stranger', 'admin'),
    requestId: fc.option(fc.constant('req-1.a:b'), { nil: undefined }),
    body: fc.constant(undefined),
  });
  const wellFormedEntitlements = wellFormed.map((r) => ({
    ...r,
    method: 'GET',
    path: `/api/v1/entitlements${['', '/check', '/snapshot'][r.query.length % 3]}`,
    query: [...r.query, ['feature', 'api_calls'] as [string, string]],
  }));
  const request = fc.oneof(hostile, wellFormed, wellFormedEntitlements);

  function toSent(r: {
    method: string;
    path: string;
    query: [string, string][];
    auth: string;
    requestId?: string;
    body?: string;
  }): Sent {
    const headers: Record<string, string> = {};
    const auth: Record<string, string> = {
      none: '',
      garbage: 'Bearer not.a.token',
      basic: 'Basic dXNlcjpwYXNz',
      two: `Bearer ${tokens.gateway} ${tokens.pro}`,
    };
    const header = r.auth in auth ? auth[r.auth] : `Bearer ${tokens[r.auth]}`;
    if (header) headers.authorization = header;
    if (r.requestId !== undefined) headers['x-request-id'] = r.requestId;
    if (r.body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(r.body));
    }
    const query = r.query.map(([k, v]) => `${k}=${v}`).join('&');
    return { method: r.method, path: query ? `${r.path}?${query}` : r.path, headers, body: r.body };
  }

  const served = async () =>
    (await bareLaneRequests.get()).values.find((v) => v.labels.outcome === 'served')?.value ?? 0;

  it('serves the plain questions itself, as Koa alone answers them', async () => {
    const gateway = { authorization: `Bearer ${tokens.gateway}` };
    const person = { authorization: `Bearer ${tokens.pro}` };
    const plain: Sent[] = [
      {
        method: 'POST',
        path: '/api/v1/subscriptions/check-access/api?user_id=kc-pro%40bare.example',
        headers: gateway,
      },
      {
        method: 'POST',
        path: '/api/v1/subscriptions/check-access/chat?customer_email=free@bare.example',
        headers: gateway,
      },
      { method: 'POST', path: '/api/v1/subscriptions/check-access/api', headers: person },
      { method: 'GET', path: '/api/v1/entitlements?user_id=kc-pro@bare.example', headers: gateway },
      { method: 'GET', path: '/api/v1/entitlements/check?feature=api_calls&quantity=2', headers: person },
      {
        method: 'GET',
        path: '/api/v1/entitlements/snapshot',
        headers: { ...person, 'x-request-id': 'gw-1' },
      },
    ];
    const before = await served();
    for (const sent of plain) {
      const { bare, koa } = await bothWays(sent);
      expect(bare.status).toBe(200);
      expect(comparable(bare, sent.headers['x-request-id'])).toEqual(
        comparable(koa, sent.headers['x-request-id']),
      );
    }
    expect((await served()) - before).toBe(plain.length);
  });

  it('answers as Koa does the spellings each check of the lane exists for', async () => {
    const gateway = { authorization: `Bearer ${tokens.gateway}` };
    const ask = (path: string) => ({
      method: 'POST',
      path: `/api/v1/subscriptions/check-access/${path}`,
      headers: gateway,
    });
    for (const sent of [
      ask('api?user_id=kc-pro@bare.example&user_id=kc-free@bare.example'),
      ask('api?user_id=kc-pro%FF'),
      ask('api?user_id=kc-zoe%CC%81@bare.example'),
      ask('Chat?user_id=kc-pro@bare.example'),
      ask('%C3%A9?user_id=kc-pro@bare.example'),
      ask('api?user_id=kc-pro@bare.example&subject=%00'),
    ]) {
      const { bare, koa } = await bothWays(sent);
      expect([sent.path, comparable(bare, undefined)]).toEqual([sent.path, comparable(koa, undefined)]);
    }
  });

  it('gives every request, hostile or not, the answer Koa alone gives', async () => {
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const sent = toSent(r);
        const { bare, koa } = await bothWays(sent);
        const id = sent.headers['x-request-id'];
        expect(comparable(bare, id)).toEqual(comparable(koa, id));
      }),
      { numRuns: 400 },
    );
    expect((await httpRequestsInFlight.get()).values[0]?.value).toBe(0);
  });
});

describe('what the bare lane leaves to Koa', () => {
  const identity = { sub: 'u1', email: 'u1@bare.example', name: null, roles: [], role: 'viewer', expMs: 0 };
  const deps = {
    config: {},
    logger: createLogger('silent', 'test'),
    verifier: { issuer: 'test', verify: async () => identity },
  } as unknown as AppDeps;

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async function serve(routes: RouteSpec<any, any, any, any>[]) {
    const router = new Router();
    const registry: AnyRoute[] = [];
    mount(router, '', routes, deps, registry);
    const app = new Koa();
    app.use(authenticate(deps.verifier));
    app.use(router.routes());
    const server = createServer(withBareLane(app.callback(), router, registry, deps));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  }

  it('serves by Koa a bare route whose handler reaches for the context', async () => {
    const { server, url } = await serve([
      defineRoute({
        method: 'get',
        path: '/peek',
        bare: true,
        summary: 'reads the query from ctx',
        tags: [],
        access: 'viewer',
        handler: async ({ ctx }) => ({ saw: ctx.querystring }),
      }),
    ]);
    const handedOn = async () =>
      (await bareLaneRequests.get()).values.find((v) => v.labels.outcome === 'handed_on')?.value ?? 0;
    const before = await handedOn();
    try {
      const res = await fetch(`${url}/peek?a=1`, { headers: { authorization: 'Bearer t' } });
      expect(await res.json()).toEqual({ saw: 'a=1' });
      expect((await handedOn()) - before).toBe(1);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('refuses at start-up to make bare a route it could not serve as Koa does', async () => {
    const base = { path: '/x', summary: 's', tags: [], access: 'viewer' as const, handler: async () => ({}) };
    await expect(serve([{ ...base, method: 'delete', bare: true }])).rejects.toThrow(
      'DELETE /x cannot be bare: its method is delete',
    );
    await expect(serve([{ ...base, method: 'post', bare: true, bodyGuard: 'handler' }])).rejects.toThrow(
      'POST /x cannot be bare: it guards a body it does not read',
    );
    await expect(serve([{ ...base, method: 'post', bare: true, rateLimit: 'stripe' }])).rejects.toThrow(
      'POST /x cannot be bare: it takes a rate-limit token',
    );
    await expect(serve([{ ...base, method: 'post', bare: true, status: 201 }])).rejects.toThrow(
      'POST /x cannot be bare: it answers other than 200 JSON',
    );
    // A JSON body and an in-flight ceiling it can take as Koa does.
    const taken = await serve([
      { ...base, method: 'post', bare: true, body: z.object({}), shedAbove: 'USAGE_REPORTS_IN_FLIGHT_MAX' },
    ]);
    await new Promise((r) => taken.server.close(r));
  });
});
