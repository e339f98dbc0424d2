import { AuditEntry, DailyUsage, ProviderKey, UsageEvent } from '../../db/entities';
import type { Dialect } from '../../db/orm';
import { startTestApi, type TestApi } from '../helpers/api';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { bookWriter, DAY } from '../helpers/book';
import { openTestDatabase } from '../helpers/db';

describe.each<Dialect>(['sqlite', 'postgresql'])("the console's customer page reads on %s", (dialect) => {
  let idp: TestIdp;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let api: TestApi;
  let admin: string;
  let viewer: string;
  const email = 'mona-money@example.com';
  const now = Date.now();
  const ago = (days: number) => new Date(now - days * DAY);
  const ids = { sub: '', paid: '', open: '', key: '', other: '' };

  beforeAll(async () => {
    [idp, db] = await Promise.all([startTestIdp(), openTestDatabase(dialect)]);
    api = await startTestApi({ orm: db.orm, env: { OIDC_ISSUER: idp.issuer, OIDC_JWKS_URL: idp.jwksUrl } });
    admin = await idp.token({ sub: 'admin-1', email: 'boss@example.com', roles: ['admin'] });
    viewer = await idp.token({ sub: 'viewer-1', email: email, roles: ['viewer'] });
    const em = db.orm.em.fork();
    const book = bookWriter(em);
    const mona = book.customer({ email });
    // Professional (500 included credits a month), its period started three days ago.
    const sub = book.subscription(mona, {
      tier: 'professional',
      amountCents: 4900,
      status: 'active',
      createdAt: ago(3),
    });
    ids.sub = sub.id;
    // Paid 4900: 1000 refunded, then a 500 credit note; an open invoice of 4900 not paid yet.
    const paid = book.invoice(mona, { amountCents: 4900, createdAt: ago(3), subscription: sub });
    const charge = book.charge(mona, { amountCents: 4900, createdAt: ago(3), invoice: paid });
    charge.cardBrand = 'visa';
    charge.cardLast4 = '4242';
    book.refund(charge, { amountCents: 1000, createdAt: ago(2) });
    book.creditNote(paid, { amountCents: 500, createdAt: ago(1) });
    const open = book.invoice(mona, {
      amountCents: 4900,
      createdAt: ago(0.5),
      status: 'open',
      subscription: sub,
    });
    ids.paid = paid.stripeInvoiceId;
    ids.open = open.stripeInvoiceId;
    // Usage: two days counted, 30 units in the ledger of which 5 on the customer's own key.
    const today = new Date(now).toISOString().slice(0, 10);
    const yesterday = ago(1).toISOString().slice(0, 10);
    em.create(DailyUsage, { customerId: mona.id, day: yesterday, type: 'inference', quantity: 20 });
    em.create(DailyUsage, { customerId: mona.id, day: today, type: 'inference', quantity: 5 });
    em.create(DailyUsage, { customerId: mona.id, day: today, type: 'embedding', quantity: 5 });
    const event = (id: string, type: string, quantity: number, byok = false) =>
      em.create(UsageEvent, {
        id: `uev_${id}`,
        customer: mona,
        eventId: id,
        reporter: 'gateway',
        type,
        quantity,
        occurredAt: ago(0.1),
        byok,
      });
    event('e1', 'inference', 25);
    event('e2', 'embedding', 5, true);
    const key = em.create(ProviderKey, {
      id: 'pk_mona_openai',
      customer: mona,
      provider: 'openai',
      ciphertext: 'c2VjcmV0LWNpcGhlcnRleHQ=',
      nonce: 'bm9uY2U=',
      keyHint: 'wxyz',
    });
    ids.key = key.id;
    // Someone else's entries, which the customer filter leaves out.
    const other = book.customer({ email: 'other@example.com' });
    const otherSub = book.subscription(other, {
      tier: 'starter',
      amountCents: 1900,
      status: 'active',
      createdAt: ago(9),
    });
    ids.other = otherSub.id;
    const entry = (
      id: string,
      action: string,
      entityType: string,
      entityId: string,
      actor = 'boss@example.com',
    ) =>
      em.create(AuditEntry, {
        id,
        actorId: 'admin-1',
        actorEmail: actor,
        action,
        entityType,
        entityId,
        before: null,
        after: { note: id === 'aud_05' ? '=HYPERLINK("http://evil")' : 'ok' },
        createdAt: ago(0),
      });
    entry('aud_01', 'subscription.change_plan', 'subscription', sub.id);
    entry('aud_02', 'invoice.refund', 'invoice', paid.stripeInvoiceId, 'ops@example.com');
    entry('aud_03', 'usage.reset', 'customer', mona.id);
    entry('aud_04', 'byok.key_added', 'provider_key', key.id);
    entry('aud_05', 'subscription.pause', 'subscription', otherSub.id);
    entry('aud_06', 'plan.update', 'plan', 'plan_starter_v1', '=cmd|calc@example.com');
    await book.flush();
  });
  afterAll(async () => {
    await api?.stop();
    await Promise.all([db?.close(), idp?.stop()]);
  });

  const get = (path: string, token = admin) => api.request('GET', `/api/v1${path}`, { token });

  it("lists the customer's invoices with their charges and what is left to refund and to credit", async () => {
    const res = await get(`/admin/billing/customers/${email}/invoices`);
    expect(res.status).toBe(200);
    expect(res.body.invoices.map((i: { id: string }) => i.id)).toEqual([ids.open, ids.paid]);
    expect(res.body.invoices[1]).toMatchObject({
      status: 'paid',
      amount_paid_cents: 4900,
      amount_refunded_cents: 1000,
      amount_credited_cents: 500,
      refundable_cents: 3400,
      creditable_cents: 3400,
      charges: [
        expect.objectContaining({ amount_cents: 4900, amount_refunded_cents: 1000, card: 'visa …4242' }),
      ],
    });
    expect(res.body.invoices[0]).toMatchObject({
      status: 'open',
      refundable_cents: 0,
      creditable_cents: 4900,
      charges: [],
    });
    const first = await get(`/admin/billing/customers/${email}/invoices?limit=1`);
    const second = await get(
      `/admin/billing/customers/${email}/invoices?limit=1&cursor=${first.body.next_cursor}`,
    );
    expect(second.body.invoices.map((i: { id: string }) => i.id)).toEqual([ids.paid]);
    expect(second.body.next_cursor).toBeNull();
  });

  it("shows the period's usage per day and type, the billable total against the included credits", async () => {
    const res = await get(`/admin/billing/customers/${email}/usage`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      tier: 'professional',
      used: 25,
      billable_by_type: expect.objectContaining({ inference: 25, embedding: 0 }),
      byok_by_type: expect.objectContaining({ embedding: 5 }),
    });
    // The period started three days ago: four days so far, the quiet ones as zero.
    expect(res.body.by_day).toHaveLength(4);
    expect(res.body.by_day.at(-1)).toMatchObject({ inference: 5, embedding: 5, total: 10 });
    expect(res.body.by_day.at(-2)).toMatchObject({ inference: 20, total: 20 });
    expect(res.body.by_day[0]).toMatchObject({ total: 0 });
    expect(res.body.included_credits).toBeGreaterThan(0);
  });

  it('shows provider keys as hints, never the key or its ciphertext', async () => {
    const res = await get(`/admin/billing/customers/${email}/provider-keys`);
    expect(res.status).toBe(200);
    expect(res.body.keys).toEqual([expect.objectContaining({ provider: 'openai', key_hint: '…wxyz' })]);
    expect(JSON.stringify(res.body)).not.toMatch(/c2VjcmV0|bm9uY2U|ciphertext|nonce/);
  });

  it('filters the audit log to the entries about the customer: their subscription, invoices, keys and usage', async () => {
    const res = await get(`/admin/audit-log?customer=${email}`);
    expect(res.status).toBe(200);
    expect(res.body.entries.map((e: { id: string }) => e.id)).toEqual([
      'aud_04',
      'aud_03',
      'aud_02',
      'aud_01',
    ]);
    expect(res.body.total).toBe(4);
    const byActor = await get(`/admin/audit-log?customer=${email}&actor=ops@example.com`);
    expect(byActor.body.entries.map((e: { id: string }) => e.id)).toEqual(['aud_02']);
    const byAction = await get('/admin/audit-log?action=subscription.pause');
    expect(byAction.body.entries.map((e: { id: string }) => e.id)).toEqual(['aud_05']);
  });

  it('exports the filtered audit log as CSV, formulas defused', async () => {
    const res = await api.raw('/api/v1/admin/audit-log/export?action=subscription.pause', admin);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/csv');
    expect(res.headers.get('content-disposition')).toContain('audit-log.csv');
    const lines = (await res.text()).trim().split('\r\n');
    expect(lines[0]).toBe('id,created_at,actor_id,actor_email,action,entity_type,entity_id,before,after');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(`,subscription.pause,subscription,${ids.other},`);
    // The JSON of `after` is one quoted cell; its formula text stays text inside it.
    expect(lines[1]).toContain('"{""note"":""=HYPERLINK(\\""http://evil\\"")""}"');
    const all = (await (await api.raw('/api/v1/admin/audit-log/export', admin)).text()).trim().split('\r\n');
    expect(all).toHaveLength(7);
    // A cell that starts like a formula is prefixed with a quote.
    expect(all[1]).toMatch(/^aud_06,[^,]+,admin-1,'=cmd\|calc@example\.com,plan\.update,/);
  });

  it('answers 404 for an unknown customer and 403 to anyone but an admin', async () => {
    for (const path of [
      '/admin/billing/customers/nobody@example.com/invoices',
      '/admin/billing/customers/nobody@example.com/usage',
      '/admin/billing/customers/nobody@example.com/provider-keys',
      '/admin/audit-log?customer=nobody@example.com',
    ]) {
      const res = await get(path);
      expect({ path, status: res.status, code: res.body.error?.code }).toEqual({
        path,
        status: 404,
        code: 'customer_not_found',
      });
    }
    expect((await api.raw('/api/v1/admin/audit-log/export?customer=nobody@example.com', admin)).status).toBe(
      404,
    );
    for (const path of [
      `/admin/billing/customers/${email}/invoices`,
      `/admin/billing/customers/${email}/usage`,
      `/admin/billing/customers/${email}/provider-keys`,
    ]) {
      expect((await get(path, viewer)).status).toBe(403);
    }
    expect((await api.raw('/api/v1/admin/audit-log/export', viewer)).status).toBe(403);
  });
});
