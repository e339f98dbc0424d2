import { StripeEvent } from '../../db/entities';
import type { Dialect } from '../../db/orm';
import { startTestApi, type TestApi } from '../helpers/api';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { bookWriter, DAY } from '../helpers/book';
import { openTestDatabase } from '../helpers/db';

const HOUR = 3_600_000;

describe.each<Dialect>(['sqlite', 'postgresql'])(
  'the renewal run on the operations view on %s',
  (dialect) => {
    let idp: TestIdp;
    let db: Awaited<ReturnType<typeof openTestDatabase>>;
    let api: TestApi;
    let admin: string;
    const now = Date.now();

    beforeAll(async () => {
      [idp, db] = await Promise.all([startTestIdp(), openTestDatabase(dialect)]);
      api = await startTestApi({ orm: db.orm, env: { OIDC_ISSUER: idp.issuer, OIDC_JWKS_URL: idp.jwksUrl } });
      admin = await idp.token({ sub: 'admin-renewals', email: 'ops@example.com', roles: ['admin'] });
      const em = db.orm.em.fork();
      const book = bookWriter(em);
      // Three renewals: two hours ago (paid), and thirty hours ago (failed), and three days ago (waiting).
      for (const [hoursAgo, status] of [
        [2, 'paid'],
        [30, 'open'],
        [72, null],
      ] as const) {
        const customer = book.customer();
        const sub = book.subscription(customer, {
          amountCents: 4900,
          status: status === 'open' ? 'past_due' : 'active',
          createdAt: new Date(now - 60 * DAY),
        });
        const boundary = new Date(now - hoursAgo * HOUR);
        sub.currentPeriodStart = boundary;
        sub.currentPeriodEnd = new Date(boundary.getTime() + 30 * DAY);
        if (status) {
          const inv = book.invoice(customer, {
            amountCents: 4900,
            createdAt: boundary,
            status,
            subscription: sub,
          });
          inv.billingReason = 'subscription_cycle';
          inv.periodEnd = boundary;
          inv.attemptCount = 1;
        }
      }
      // One Stripe event waiting since four minutes ago, one forwarded.
      for (const [id, minutesAgo, forwarded] of [
        ['evt_renewals_waiting', 4, false],
        ['evt_renewals_done', 9, true],
      ] as const) {
        const at = new Date(now - minutesAgo * 60_000);
        em.create(StripeEvent, {
          id,
          type: 'invoice.paid',
          stripeCreatedAt: at,
          receivedAt: at,
          payload: '{}',
          forwardedAt: forwarded ? at : null,
        });
      }
      await em.flush();
    });
    afterAll(async () => {
      await api?.stop();
      await Promise.all([db?.close(), idp?.stop()]);
    });

    const get = (query = '', token = admin) =>
      api.request('GET', `/api/v1/admin/operations${query}`, { token });

    it('shows the last 24 hours of renewals and the Stripe events waiting, beside the fields it had', async () => {
      const { status, body } = await get();
      expect(status).toBe(200);
      expect(body.renewals).toMatchObject({ due: 1, invoiced: 1, paid: 1, failed: 0, waiting: 0 });
      expect(Date.parse(body.renewals.until) - Date.parse(body.renewals.since)).toBe(DAY);
      expect(body.renewals.stripe_events.unforwarded).toBe(1);
      expect(body.renewals.stripe_events.oldest_unforwarded_age_seconds).toBeGreaterThanOrEqual(240);
      expect(body.renewals.stripe_events.oldest_unforwarded_age_seconds).toBeLessThan(240 + 120);
      expect(Object.keys(body).sort()).toEqual(['dunning', 'outbox', 'renewals', 'webhooks']);
      expect(body.webhooks.unforwarded).toBe(1);
    });

    it('widens the window to `since`', async () => {
      const since = new Date(now - 4 * DAY).toISOString();
      const { status, body } = await get(`?since=${encodeURIComponent(since)}`);
      expect(status).toBe(200);
      expect(body.renewals).toMatchObject({ since, due: 3, invoiced: 2, paid: 1, failed: 1, waiting: 1 });
    });

    it('refuses a `since` that is not a date-time, in the future or more than a week back, naming the field', async () => {
      for (const since of [
        'yesterday',
        '2026-13-01T00:00:00Z',
        new Date(now + HOUR).toISOString(),
        new Date(now - 8 * DAY).toISOString(),
      ]) {
        const { status, body } = await get(`?since=${encodeURIComponent(since)}`);
        expect({ since, status, code: body.error?.code, field: body.error?.details?.field }).toEqual({
          since,
          status: 400,
          code: 'validation_failed',
          field: 'query.since',
        });
      }
    });

    it('answers admins only', async () => {
      const viewer = await idp.token({ email: 'viewer@example.com', roles: ['viewer'] });
      const editor = await idp.token({ email: 'editor@example.com', roles: ['editor'] });
      expect((await get('', viewer)).status).toBe(403);
      expect((await get('', editor)).status).toBe(403);
      expect((await api.request('GET', '/api/v1/admin/operations')).status).toBe(401);
    });
  },
);
