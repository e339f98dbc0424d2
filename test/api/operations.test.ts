import { Invoice, Notification, StripeEvent } from '../../db/entities';
import type { Dialect } from '../../db/orm';
import { startTestApi, type TestApi } from '../helpers/api';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { bookWriter } from '../helpers/book';
import { openTestDatabase } from '../helpers/db';

describe.each<Dialect>(['sqlite', 'postgresql'])("the operator's operations view on %s", (dialect) => {
  let idp: TestIdp;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let api: TestApi;
  let admin: string;
  const base = Date.parse('2026-11-01T00:00:00Z');

  beforeAll(async () => {
    [idp, db] = await Promise.all([startTestIdp(), openTestDatabase(dialect)]);
    api = await startTestApi({ orm: db.orm, env: { OIDC_ISSUER: idp.issuer, OIDC_JWKS_URL: idp.jwksUrl } });
    admin = await idp.token({ sub: 'admin-1', email: 'boss@example.com', roles: ['admin'] });
    const em = db.orm.em.fork();
    // 30 events a minute apart, two of them received at the same instant; every fifth not forwarded yet.
    for (let i = 0; i < 30; i++) {
      const at = new Date(base + Math.min(i, 28) * 60_000);
      em.create(StripeEvent, {
        id: `evt_ops_${String(i).padStart(2, '0')}`,
        type: i % 2 ? 'invoice.paid' : 'customer.subscription.updated',
        objectId: `obj_${i}`,
        stripeCreatedAt: at,
        receivedAt: at,
        payload: '{}',
        forwardedAt: i % 5 === 0 ? null : at,
        workflowId: i % 5 === 0 ? null : `subs_${i}`,
      });
    }
    const book = bookWriter(em);
    const late = book.customer({ email: 'late-payer@example.com' });
    const sub = book.subscription(late, {
      tier: 'starter',
      amountCents: 1900,
      status: 'past_due',
      createdAt: new Date(base),
    });
    em.create(Invoice, {
      id: 'inv_ops_1',
      stripeInvoiceId: 'in_ops_1',
      customer: late,
      subscription: sub,
      status: 'open',
      amountDueCents: 1900,
      attemptCount: 2,
      createdAt: new Date(base),
    });
    em.create(Notification, {
      id: 'ntf_ops_1',
      customerId: late.id,
      email: late.email,
      kind: 'payment_failed',
      dedupeKey: 'payment_failed:in_ops_1',
    });
    await em.flush();
  });
  afterAll(async () => {
    await api?.stop();
    await Promise.all([db?.close(), idp?.stop()]);
  });

  const get = (query = '') => api.request('GET', `/api/v1/admin/operations${query}`, { token: admin });

  it('pages through every Stripe event newest first, none twice, ties included', async () => {
    const first = await get();
    expect(first.status).toBe(200);
    expect(first.body.webhooks.unforwarded).toBe(6);
    const second = await get(`?cursor=${first.body.webhooks.next_cursor}`);
    const ids = [...first.body.webhooks.events, ...second.body.webhooks.events].map(
      (e: { id: string }) => e.id,
    );
    expect(first.body.webhooks.events).toHaveLength(25);
    expect(second.body.webhooks.next_cursor).toBeNull();
    expect(ids).toHaveLength(30);
    expect(new Set(ids).size).toBe(30);
    expect(ids[0]).toBe('evt_ops_29');
    expect(first.body.webhooks.events[1]).toMatchObject({
      id: 'evt_ops_28',
      routed_to: ['subs_28'],
    });
  });

  it('shows only the events not yet forwarded when asked, and by type', async () => {
    const stuck = await get('?webhooks=unforwarded');
    expect(stuck.body.webhooks.events.map((e: { id: string }) => e.id)).toEqual([
      'evt_ops_25',
      'evt_ops_20',
      'evt_ops_15',
      'evt_ops_10',
      'evt_ops_05',
      'evt_ops_00',
    ]);
    expect(stuck.body.webhooks.events.every((e: { forwarded_at: unknown }) => e.forwarded_at === null)).toBe(
      true,
    );
    const paid = await get('?type=invoice.paid&limit=100');
    expect(paid.body.webhooks.events).toHaveLength(15);
  });

  it('lists the invoices in dunning and the outbox', async () => {
    const { body } = await get();
    expect(body.dunning).toEqual([
      expect.objectContaining({
        invoice_id: 'in_ops_1',
        email: 'late-payer@example.com',
        subscription_status: 'past_due',
        amount_due_cents: 1900,
        attempts: 2,
      }),
    ]);
    expect(body.outbox).toMatchObject({
      unsent: 1,
      recent: [expect.objectContaining({ kind: 'payment_failed', sent_at: null })],
    });
  });

  it('refuses a forged cursor, a hostile type and a non-admin', async () => {
    expect((await get('?cursor=bm90LWEtY3Vyc29y')).status).toBe(400);
    expect((await get('?type=%00evil')).status).toBe(400);
    const viewer = await idp.token({ email: 'v@example.com', roles: ['viewer'] });
    expect((await api.request('GET', '/api/v1/admin/operations', { token: viewer })).status).toBe(403);
  });
});
