import { randomBytes } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/core';
import { Customer, Plan, Subscription } from '../../db/entities';
import { newId } from '../../db/ids';
import { openDatabase, type Dialect } from '../../db/orm';
import { MAX_OPEN_CHECKOUTS } from '../../domain/rate-limit';
import { startTestApi, type TestApi, type TestResponse } from '../helpers/api';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { startFakeProvider, type FakeProvider } from '../helpers/byok-app';
import { openTestDatabase } from '../helpers/db';

const LIMITS = { stripe: 3, key_test: 2, pdf: 4 } as const;
type Cls = keyof typeof LIMITS;

/** One route of each class, answered without Stripe or Temporal so that only the limiter is measured. */
const ROUTE: Record<Cls, { method: string; path: string; body?: unknown }> = {
  stripe: { method: 'POST', path: '/api/v1/billing/subscription/resume', body: {} },
  key_test: { method: 'POST', path: '/api/v1/byok/keys/test/openai' },
  pdf: { method: 'GET', path: '/api/v1/billing/invoice/in_ratelimit1/pdf' },
};

describe.each<Dialect>(['sqlite', 'postgresql'])('per-caller rate limits (%s)', (dialect) => {
  let idp: TestIdp;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  /** The same database through a pool of its own: a second API process. */
  let otherOrm: MikroORM;
  let a: TestApi;
  let b: TestApi;
  let provider: FakeProvider;
  const goodKey = `sk-proj-${randomBytes(20).toString('hex')}`;
  let clock = Date.now();
  let n = 0;

  const person = (roles: string[] = []) => {
    const sub = `rl-${dialect}-${++n}-${randomBytes(4).toString('hex')}`;
    return { sub, token: idp.token({ sub, email: `${sub}@example.com`, roles }) };
  };
  const call = async (api: TestApi, cls: Cls, token: string): Promise<TestResponse> => {
    const r = ROUTE[cls];
    return api.request(r.method, r.path, { token, ...(r.body ? { body: r.body } : {}) });
  };
  const expectLimited = (res: TestResponse, cls: Cls) => {
    expect(res.status).toBe(429);
    const retryAfter = res.headers.get('retry-after');
    expect(retryAfter).toMatch(/^[1-9][0-9]*$/);
    expect(res.body.error).toEqual({
      code: 'rate_limited',
      message: expect.any(String),
      details: { class: cls, retry_after_seconds: Number(retryAfter) },
    });
  };

  beforeAll(async () => {
    [idp, db, provider] = await Promise.all([
      startTestIdp(),
      openTestDatabase(dialect),
      startFakeProvider(goodKey),
    ]);
    otherOrm = await openDatabase(db.url, { migrate: false });
    const env = {
      OIDC_ISSUER: idp.issuer,
      OIDC_JWKS_URL: idp.jwksUrl,
      RATE_LIMIT_STRIPE_PER_MINUTE: String(LIMITS.stripe),
      RATE_LIMIT_KEY_TESTS_PER_MINUTE: String(LIMITS.key_test),
      RATE_LIMIT_PDF_PER_MINUTE: String(LIMITS.pdf),
      BYOK_PROVIDER_BASE_URL_OPENAI: provider.baseUrl,
    };
    a = await startTestApi({ orm: db.orm, env, now: () => clock });
    b = await startTestApi({ orm: otherOrm, env, keyring: a.byok.keyring, now: () => clock });
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await otherOrm?.close();
    await Promise.all([idp?.stop(), db?.close(), provider?.stop()]);
  });

  it.each(Object.keys(LIMITS) as Cls[])(
    'answers the %s class past its limit with 429, Retry-After and rate_limited',
    async (cls) => {
      const token = await person().token;
      for (let i = 0; i < LIMITS[cls]; i++) expect((await call(a, cls, token)).status).not.toBe(429);
      expectLimited(await call(a, cls, token), cls);
      expectLimited(await call(a, cls, token), cls);
    },
  );

  it('limits each caller and each class on its own', async () => {
    const [x, y] = [await person().token, await person().token];
    for (let i = 0; i < LIMITS.stripe; i++) await call(a, 'stripe', x);
    expectLimited(await call(a, 'stripe', x), 'stripe');
    // Another caller has their whole allowance; the same caller still has every other class's.
    for (let i = 0; i < LIMITS.stripe; i++) expect((await call(a, 'stripe', y)).status).not.toBe(429);
    expect((await call(a, 'pdf', x)).status).not.toBe(429);
    expect((await call(a, 'key_test', x)).status).not.toBe(429);
  });

  it('holds across two API processes on one database', async () => {
    for (const cls of Object.keys(LIMITS) as Cls[]) {
      const token = await person().token;
      for (let i = 0; i < LIMITS[cls]; i++) {
        expect((await call(i % 2 ? b : a, cls, token)).status).not.toBe(429);
      }
      expectLimited(await call(a, cls, token), cls);
      expectLimited(await call(b, cls, token), cls);
    }
  });

  it('refills with time: one more request once Retry-After has passed, not before', async () => {
    const token = await person().token;
    for (let i = 0; i < LIMITS.stripe; i++) await call(a, 'stripe', token);
    const limited = await call(a, 'stripe', token);
    expectLimited(limited, 'stripe');
    // 3 a minute: a token every 20 s.
    expect(limited.headers.get('retry-after')).toBe('20');
    clock += 19_000;
    const almost = await call(b, 'stripe', token);
    expectLimited(almost, 'stripe');
    expect(almost.headers.get('retry-after')).toBe('1');
    clock += 1_000;
    expect((await call(b, 'stripe', token)).status).not.toBe(429);
    expectLimited(await call(a, 'stripe', token), 'stripe');
    // A minute idle fills the bucket again, never beyond the limit.
    clock += 10 * 60_000;
    for (let i = 0; i < LIMITS.stripe; i++) expect((await call(a, 'stripe', token)).status).not.toBe(429);
    expectLimited(await call(a, 'stripe', token), 'stripe');
  });

  it('limits admins too', async () => {
    const token = await person(['admin']).token;
    for (let i = 0; i < LIMITS.stripe; i++) expect((await call(a, 'stripe', token)).status).not.toBe(429);
    expectLimited(await call(a, 'stripe', token), 'stripe');
  });

  it('refuses past the limit before the provider is called, so key tests are no oracle', async () => {
    const token = await person().token;
    const added = await a.request('POST', '/api/v1/byok/keys/add', {
      token,
      body: { provider: 'openai', api_key: goodKey },
    });
    expect(added.status).toBe(200);
    const before = provider.requests.length;
    const answers = [];
    for (let i = 0; i < LIMITS.key_test + 5; i++)
      answers.push((await call(i % 2 ? b : a, 'key_test', token)).status);
    expect(answers).toEqual([...Array(LIMITS.key_test).fill(200), ...Array(5).fill(429)]);
    expect(provider.requests.length - before).toBe(LIMITS.key_test);
  });

  it('takes nothing for a request refused as malformed', async () => {
    const token = await person().token;
    for (let i = 0; i < 10; i++) {
      const res = await a.request('GET', '/api/v1/billing/invoice/not-an-invoice/pdf', { token });
      expect(res.status).toBe(400);
    }
    for (let i = 0; i < LIMITS.pdf; i++) expect((await call(a, 'pdf', token)).status).not.toBe(429);
  });

  it('declares 429 on every limited route in the API document', async () => {
    const doc = (await a.request('GET', '/openapi.json')).body;
    expect(Object.keys(doc.paths['/api/v1/billing/checkout/create'].post.responses)).toContain('429');
    expect(Object.keys(doc.paths['/api/v1/byok/keys/test/{provider}'].post.responses)).toContain('429');
    expect(Object.keys(doc.paths['/api/v1/billing/invoice/{stripe_invoice_id}/pdf'].get.responses)).toContain(
      '429',
    );
    expect(Object.keys(doc.paths['/api/v1/billing/subscription'].get.responses)).not.toContain('429');
  });

  describe('open checkouts', () => {
    /** A customer of `sub` with subscriptions in these states, made this long ago. */
    async function customerWith(sub: string, subs: { status: string; agoMs: number }[]) {
      const em = db.orm.em.fork();
      const plan = await em.findOneOrFail(Plan, { code: 'professional', isCurrent: true });
      const customer = em.create(Customer, { id: newId('cust'), userId: sub, email: `${sub}@example.com` });
      for (const s of subs) {
        em.create(Subscription, {
          id: newId('subs'),
          customer,
          plan,
          tier: plan.code,
          status: s.status as Subscription['status'],
          interval: 'month',
          amountCents: plan.priceMonthlyCents,
          createdAt: new Date(Date.now() - s.agoMs),
        });
      }
      await em.flush();
    }
    const checkout = (token: string) =>
      a.request('POST', '/api/v1/billing/checkout/create', { token, body: { tier_id: 'professional' } });

    it(`refuses a checkout while ${MAX_OPEN_CHECKOUTS} are open, before any workflow is started`, async () => {
      const { sub, token } = person();
      await customerWith(
        sub,
        Array.from({ length: MAX_OPEN_CHECKOUTS }, (_, i) => ({
          status: 'incomplete',
          agoMs: i * 3_600_000,
        })),
      );
      const res = await checkout(await token);
      expect(res.status).toBe(409);
      expect(res.body.error).toMatchObject({
        code: 'too_many_open_checkouts',
        details: { open_checkouts: MAX_OPEN_CHECKOUTS, max_open_checkouts: MAX_OPEN_CHECKOUTS },
      });
    });

    it('counts neither expired sessions (over a day old) nor ended subscriptions', async () => {
      const { sub, token } = person();
      await customerWith(sub, [
        ...Array.from({ length: MAX_OPEN_CHECKOUTS - 1 }, () => ({ status: 'incomplete', agoMs: 60_000 })),
        { status: 'incomplete', agoMs: 25 * 3_600_000 },
        { status: 'incomplete', agoMs: 48 * 3_600_000 },
        { status: 'expired', agoMs: 60_000 },
        { status: 'canceled', agoMs: 60_000 },
      ]);
      const res = await checkout(await token);
      // Past the cap, on to the workflow (this test has no Temporal, so the answer is its 503).
      expect(res.body.error.code).not.toBe('too_many_open_checkouts');
      expect(res.status).toBe(503);
    });
  });
});
