import type Stripe from 'stripe';
import { Customer } from '../../db/entities';
import { newId } from '../../db/ids';
import { startTestApi, type TestApi } from '../helpers/api';
import { startFullStack, type FullStack } from '../helpers/full-stack';

describe.each(['sqlite', 'postgresql'] as const)(
  "Checkout's default return pages on PUBLIC_BASE_URL (%s)",
  (dialect) => {
    let stack: FullStack;
    let publicBaseUrl: string;
    beforeAll(async () => {
      stack = await startFullStack({
        taskQueue: `return-pages-${dialect}`,
        dialect,
        // Another spelling of the API's own address than the one requests use, so the test tells the
        // configured base from the Host header a request arrives with.
        apiEnv: (port) => {
          publicBaseUrl = `http://localhost:${port}`;
          return { PUBLIC_BASE_URL: publicBaseUrl, RETURN_URL_ORIGINS: 'https://app.example.com' };
        },
      });
    });
    const apis: TestApi[] = [];
    afterAll(async () => {
      await Promise.all(apis.map((a) => a.stop()));
      await stack?.stop();
    });

    async function tokenFor(name: string): Promise<string> {
      const email = `${name}-${dialect}@example.com`;
      const em = stack.db.orm.em.fork();
      em.create(Customer, { id: newId('cust'), userId: `kc-${name}-${dialect}`, email });
      await em.flush();
      return stack.idp.token({ sub: `kc-${name}-${dialect}`, email });
    }

    async function checkoutFor(
      name: string,
      body: Record<string, unknown>,
      opts: { api?: TestApi; headers?: Record<string, string> } = {},
    ): Promise<Stripe.Checkout.Session> {
      const token = await tokenFor(name);
      const res = await (opts.api ?? stack.api).request('POST', '/api/v1/billing/checkout/create', {
        token,
        body,
        headers: opts.headers,
      });
      expect(res.status).toBe(200);
      return stack.stripe.checkout.sessions.retrieve(res.body.session_id);
    }

    /** Another API on the same engine, configured by `env`, without PUBLIC_BASE_URL unless given. */
    async function anotherApi(env: Record<string, string>): Promise<TestApi> {
      const api = await startTestApi({
        orm: stack.db.orm,
        temporal: stack.env.client,
        env: {
          TEMPORAL_TASK_QUEUE: `return-pages-${dialect}`,
          OIDC_ISSUER: stack.idp.issuer,
          OIDC_JWKS_URL: stack.idp.jwksUrl,
          STRIPE_API_BASE: stack.emulator.url,
          ...env,
        },
      });
      apis.push(api);
      return api;
    }

    /** Headers anyone can send, claiming a proxy in front of the engine said the client came from evil.com. */
    const forwardedToEvil = {
      'x-forwarded-host': 'evil.com',
      'x-forwarded-proto': 'https',
      'x-forwarded-port': '443',
      forwarded: 'for=203.0.113.9;host=evil.com;proto=https',
    };

    it('sends customers back to pages of the engine at PUBLIC_BASE_URL that answer 200 under a strict policy', async () => {
      const session = await checkoutFor('return-default', { tier_id: 'starter' });
      expect({ success: session.success_url, cancel: session.cancel_url }).toEqual({
        success: `${publicBaseUrl}/billing/success?session_id={CHECKOUT_SESSION_ID}`,
        cancel: `${publicBaseUrl}/billing/canceled`,
      });
      for (const back of [session.success_url, session.cancel_url]) {
        const page = await fetch(String(back).replace('{CHECKOUT_SESSION_ID}', session.id));
        const html = await page.text();
        expect({ back, status: page.status, type: page.headers.get('content-type') }).toEqual({
          back,
          status: 200,
          type: expect.stringContaining('text/html'),
        });
        expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
        // Nothing from the request comes back in the page, and it loads nothing from elsewhere: the web app's
        // own files at most (when built, it draws these pages), never an inline script or style.
        expect(html).not.toContain(session.id);
        for (const [tag] of html.matchAll(/<(script|link|img|style)\b[^>]*>/gi))
          expect(tag).toMatch(/\s(src|href)="\/(assets\/[\w.-]+|favicon\.svg)"/);
      }
    });

    it('keeps the return URLs a caller names', async () => {
      const session = await checkoutFor('return-named', {
        tier_id: 'starter',
        success_url: 'https://app.example.com/welcome',
        cancel_url: 'https://app.example.com/plans',
      });
      expect({ success: session.success_url, cancel: session.cancel_url }).toEqual({
        success: 'https://app.example.com/welcome',
        cancel: 'https://app.example.com/plans',
      });
    });

    it("takes a return URL on PUBLIC_BASE_URL's origin, however its host is cased", async () => {
      const { port } = new URL(publicBaseUrl);
      const session = await checkoutFor('return-own-origin', {
        tier_id: 'starter',
        success_url: `http://LOCALHOST:${port}/welcome?session={CHECKOUT_SESSION_ID}`,
      });
      expect(session.success_url).toBe(`http://LOCALHOST:${port}/welcome?session={CHECKOUT_SESSION_ID}`);
    });

    it('refuses a return URL off our origins on every route that takes one, naming the field, before calling Stripe', async () => {
      const { port } = new URL(publicBaseUrl);
      const routes = [
        {
          path: '/api/v1/billing/checkout/create',
          fields: ['success_url', 'cancel_url'],
          tier_id: 'starter',
        },
        { path: '/api/v1/billing/payment-methods/setup', fields: ['success_url', 'cancel_url'] },
        { path: '/api/v1/billing/portal/create', fields: ['return_url'] },
      ];
      // A few of each kind (test/domain/return-urls.test.ts has the whole class); one caller per field, so
      // that no per-caller limit answers first.
      const attacks = [
        'https://app.example.com.evil.com/',
        `http://localhost:${port}@evil.com/`,
        '//evil.com/',
        'javascript:alert(1)',
        'https:\\\\evil.com',
        `https://localhost:${port}/`,
      ];
      const sessionsBefore = (await stack.stripe.checkout.sessions.list({ limit: 100 })).data.length;
      for (const route of routes)
        for (const field of route.fields) {
          const token = await tokenFor(`return-refused-${route.path.split('/')[4]}-${field}`);
          for (const url of attacks) {
            const body: Record<string, unknown> = { [field]: url };
            if (route.tier_id) body.tier_id = route.tier_id;
            const res = await stack.api.request('POST', route.path, { token, body });
            expect({ path: route.path, url, status: res.status, error: res.body.error }).toEqual({
              path: route.path,
              url,
              status: 400,
              error: expect.objectContaining({
                code: 'return_url_not_allowed',
                details: expect.objectContaining({ field: `body.${field}` }),
              }),
            });
          }
        }
      expect((await stack.stripe.checkout.sessions.list({ limit: 100 })).data.length).toBe(sessionsBefore);
    });

    it('builds the default return pages from the address called, not from X-Forwarded-* anyone can send, unless TRUST_PROXY is set', async () => {
      const direct = await anotherApi({});
      const session = await checkoutFor(
        'return-forwarded',
        { tier_id: 'starter' },
        {
          api: direct,
          headers: forwardedToEvil,
        },
      );
      expect({ success: session.success_url, cancel: session.cancel_url }).toEqual({
        success: `${direct.url}/billing/success?session_id={CHECKOUT_SESSION_ID}`,
        cancel: `${direct.url}/billing/canceled`,
      });
      // Nor does a forwarded host make itself an allowed origin.
      const token = await tokenFor('return-forwarded-named');
      const named = await direct.request('POST', '/api/v1/billing/checkout/create', {
        token,
        headers: forwardedToEvil,
        body: { tier_id: 'starter', success_url: 'https://evil.com/welcome' },
      });
      expect({ status: named.status, code: named.body.error?.code }).toEqual({
        status: 400,
        code: 'return_url_not_allowed',
      });

      // Behind a proxy the operator names, its headers are the client's address.
      const proxied = await anotherApi({ TRUST_PROXY: '1' });
      const behind = await checkoutFor(
        'return-proxied',
        { tier_id: 'starter' },
        {
          api: proxied,
          headers: { 'x-forwarded-host': 'billing.example.com', 'x-forwarded-proto': 'https' },
        },
      );
      expect(behind.cancel_url).toBe('https://billing.example.com/billing/canceled');
    });
  },
);
