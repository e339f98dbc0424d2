import { Subscription } from '../../db/entities';
import { startTestApi, type TestApi } from '../helpers/api';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { bookWriter } from '../helpers/book';
import { openTestDatabase } from '../helpers/db';

describe.each(['sqlite', 'postgresql'] as const)(
  "the seeds' contract for a customer's subscription (%s)",
  (dialect) => {
    let db: Awaited<ReturnType<typeof openTestDatabase>>;
    let idp: TestIdp;
    let api: TestApi;
    beforeAll(async () => {
      [db, idp] = await Promise.all([openTestDatabase(dialect), startTestIdp()]);
      api = await startTestApi({ orm: db.orm, env: { OIDC_ISSUER: idp.issuer, OIDC_JWKS_URL: idp.jwksUrl } });
    });
    afterAll(async () => {
      await api?.stop();
      await Promise.all([db?.close(), idp?.stop()]);
    });

    it('answers a caller without a subscription with the free tier, not a 404', async () => {
      const token = await idp.token({ sub: 'contract-none', email: 'contract-none@example.com' });
      const res = await api.request('GET', '/api/v1/billing/subscription', { token });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        subscription_id: null,
        tier: 'free',
        status: 'none',
        current_period_start: null,
        current_period_end: null,
        trial_end: null,
        cancel_at_period_end: false,
        amount: 0,
        amount_cents: 0,
        interval: null,
        currency: null,
        stripe_subscription_id: null,
        pending_change: null,
      });
    });

    it("refuses to cancel a subscription_id that is not the caller's own, before anything is changed", async () => {
      const book = bookWriter(db.orm.em.fork());
      const mine = book.customer({ userId: 'contract-mine', email: 'contract-mine@example.com' });
      const theirs = book.customer({ userId: 'contract-theirs', email: 'contract-theirs@example.com' });
      book.subscription(mine, { amountCents: 1900, status: 'active', createdAt: new Date() });
      const other = book.subscription(theirs, { amountCents: 4900, status: 'active', createdAt: new Date() });
      await book.flush();
      const token = await idp.token({ sub: 'contract-mine', email: 'contract-mine@example.com' });
      for (const subscription_id of [other.id, other.stripeSubscriptionId, 'sub_unknown']) {
        const res = await api.request('POST', '/api/v1/billing/subscription/cancel', {
          token,
          body: { subscription_id, at_period_end: true },
        });
        expect({ subscription_id, status: res.status, code: res.body.error?.code }).toEqual({
          subscription_id,
          status: 404,
          code: 'subscription_not_found',
        });
      }
      const untouched = await db.orm.em.fork().findOneOrFail(Subscription, other.id);
      expect({ status: untouched.status, cancelAtPeriodEnd: untouched.cancelAtPeriodEnd }).toEqual({
        status: 'active',
        cancelAtPeriodEnd: false,
      });
    });

    it('answers 404 to a caller without a subscription who names one to cancel', async () => {
      const token = await idp.token({ sub: 'contract-nobody', email: 'contract-nobody@example.com' });
      const res = await api.request('POST', '/api/v1/billing/subscription/cancel', {
        token,
        body: { subscription_id: 'sub_unknown', at_period_end: false },
      });
      expect({ status: res.status, code: res.body.error?.code }).toEqual({
        status: 404,
        code: 'subscription_not_found',
      });
    });
  },
);
