import type Stripe from 'stripe';
import { Customer } from '../../db/entities';
import { newId } from '../../db/ids';
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
          return { PUBLIC_BASE_URL: publicBaseUrl };
        },
      });
    });
    afterAll(() => stack?.stop());

    async function checkoutFor(
      name: string,
      body: Record<string, unknown>,
    ): Promise<Stripe.Checkout.Session> {
      const email = `${name}-${dialect}@example.com`;
      const em = stack.db.orm.em.fork();
      em.create(Customer, { id: newId('cust'), userId: `kc-${name}-${dialect}`, email });
      await em.flush();
      const token = await stack.idp.token({ sub: `kc-${name}-${dialect}`, email });
      const res = await stack.api.request('POST', '/api/v1/billing/checkout/create', { token, body });
      expect(res.status).toBe(200);
      return stack.stripe.checkout.sessions.retrieve(res.body.session_id);
    }

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
  },
);
