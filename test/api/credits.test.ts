import { AuditEntry, CreditPack } from '../../db/entities';
import { newId } from '../../db/ids';
import { sqlFor } from '../../db/raw-sql';
import type { Dialect } from '../../db/orm';
import { startTestApi, type TestApi } from '../helpers/api';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { openTestDatabase } from '../helpers/db';
import { seedSubscriber } from '../usage/fixtures';

const DAY = 86_400_000;

describe.each<Dialect>(['sqlite', 'postgresql'])('the credits API on %s', (dialect) => {
  let idp: TestIdp;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let api: TestApi;
  let admin: string;
  let n = 0;

  beforeAll(async () => {
    [idp, db] = await Promise.all([startTestIdp(), openTestDatabase(dialect)]);
    api = await startTestApi({ orm: db.orm, env: { OIDC_ISSUER: idp.issuer, OIDC_JWKS_URL: idp.jwksUrl } });
    admin = await idp.token({ sub: 'admin-credits', email: 'boss@example.com', roles: ['admin'] });
  });
  afterAll(async () => {
    await api?.stop();
    await Promise.all([idp?.stop(), db?.close()]);
  });

  /** A new professional subscriber (500 included credits), their token, and the admin's calls on them. */
  async function subscriber() {
    const email = `credits-${dialect}-${++n}@example.com`;
    const { customer, sub } = await seedSubscriber(db.orm, {
      email,
      plan: 'professional',
      periodStart: new Date(Date.now() - 3 * DAY),
    });
    const token = await idp.token({ sub, email });
    const base = `/api/v1/admin/billing/customers/${encodeURIComponent(email)}`;
    return {
      email,
      customer,
      token,
      own: (method: string, path: string, body?: unknown) =>
        api.request(method, `/api/v1${path}`, { token, body }),
      grant: (body: Record<string, unknown>, key = `k-${Math.random()}`) =>
        api.request('POST', `${base}/credits`, { token: admin, body, headers: { 'Idempotency-Key': key } }),
      asAdmin: (method: string, path: string, body?: unknown) =>
        api.request(method, `${base}${path}`, { token: admin, body }),
    };
  }

  it('a new customer has no credits, this period’s included ones, and no cap', async () => {
    const c = await subscriber();
    const res = await c.own('GET', '/billing/credits');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      balance: 0,
      grants: [],
      included: { credits: 500, used: 0, remaining: 500 },
      spend_cap: {
        amount_cents: null,
        mode: 'block',
        max_cents: null,
        period_overage_cents: 0,
        reached: false,
      },
      auto_top_up: { enabled: false, threshold: null, pack_id: null, note: null },
    });
  });

  it('an admin grants credits once per Idempotency-Key, audited once, and the customer sees them in draw order', async () => {
    const c = await subscriber();
    const later = new Date(Date.now() + 30 * DAY).toISOString();
    const first = await c.grant({ amount: 500, reason: 'goodwill', expires_at: later }, 'grant-1');
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      amount: 500,
      remaining: 500,
      source: 'admin',
      live: true,
      reason: 'goodwill',
    });
    const replay = await c.grant({ amount: 500, reason: 'goodwill', expires_at: later }, 'grant-1');
    expect(replay.body.id).toBe(first.body.id);
    await c.grant({ amount: 200, reason: 'first in line', priority: -1 }, 'grant-2');

    const own = await c.own('GET', '/billing/credits');
    expect(own.body.balance).toBe(700);
    expect(own.body.grants.map((g: { amount: number }) => g.amount)).toEqual([200, 500]);
    const audits = await db.orm.em
      .fork()
      .find(AuditEntry, { action: 'credits.grant', entityId: first.body.id });
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ actorEmail: 'boss@example.com' });
  });

  it('a void takes what is left out of the balance; a second void changes nothing; an extension only lengthens', async () => {
    const c = await subscriber();
    const soon = new Date(Date.now() + 5 * DAY);
    const g = (await c.grant({ amount: 300, reason: 'trial credits', expires_at: soon.toISOString() })).body;
    const voided = await c.asAdmin('POST', `/credits/${g.id}/void`, { reason: 'sent by mistake' });
    expect(voided.status).toBe(200);
    expect(voided.body).toMatchObject({ id: g.id, remaining: 0, live: false });
    expect((await c.asAdmin('POST', `/credits/${g.id}/void`, { reason: 'again' })).body).toMatchObject({
      remaining: 0,
    });
    const ledger = await c.asAdmin('GET', '/credits');
    expect(ledger.body.credits.balance).toBe(0);
    expect(ledger.body.movements).toEqual([
      expect.objectContaining({
        grant_id: g.id,
        kind: 'void',
        amount: 300,
        reason: 'sent by mistake',
        actor: 'boss@example.com',
      }),
    ]);

    const h = (await c.grant({ amount: 50, reason: 'promo', expires_at: soon.toISOString() })).body;
    const earlier = await c.asAdmin('POST', `/credits/${h.id}/extend`, {
      expires_at: new Date(soon.getTime() - DAY).toISOString(),
      reason: 'shorter',
    });
    expect(earlier.status).toBe(409);
    expect(earlier.body.error).toMatchObject({
      code: 'not_an_extension',
      details: { field: 'body.expires_at' },
    });
    const extended = await c.asAdmin('POST', `/credits/${h.id}/extend`, {
      expires_at: new Date(soon.getTime() + 10 * DAY).toISOString(),
      reason: 'more time',
    });
    expect(extended.body).toMatchObject({
      expires_at: new Date(soon.getTime() + 10 * DAY).toISOString(),
      remaining: 50,
    });
  });

  it("refuses another customer's grant, a customer on the admin routes, and a grant without a key", async () => {
    const [a, b] = [await subscriber(), await subscriber()];
    const g = (await a.grant({ amount: 10, reason: 'x' })).body;
    expect((await b.asAdmin('POST', `/credits/${g.id}/void`, { reason: 'not theirs' })).status).toBe(404);
    expect(
      (await a.own('GET', `/admin/billing/customers/${encodeURIComponent(a.email)}/credits`)).status,
    ).toBe(403);
    const noKey = await api.request(
      'POST',
      `/api/v1/admin/billing/customers/${encodeURIComponent(a.email)}/credits`,
      {
        token: admin,
        body: { amount: 10, reason: 'x' },
      },
    );
    expect(noKey.body.error).toMatchObject({ code: 'idempotency_key_required' });
    expect((await a.own('GET', '/billing/credits')).body.balance).toBe(10);
  });

  it.each`
    body                                                               | field
    ${{ amount: 0, reason: 'x' }}                                      | ${'body.amount'}
    ${{ amount: -5, reason: 'x' }}                                     | ${'body.amount'}
    ${{ amount: 1.5, reason: 'x' }}                                    | ${'body.amount'}
    ${{ amount: 2 ** 53, reason: 'x' }}                                | ${'body.amount'}
    ${{ amount: '10', reason: 'x' }}                                   | ${'body.amount'}
    ${{ amount: 10, reason: '' }}                                      | ${'body.reason'}
    ${{ amount: 10, reason: 'x'.repeat(501) }}                         | ${'body.reason'}
    ${{ amount: 10, reason: 'x', expires_at: 'tomorrow' }}             | ${'body.expires_at'}
    ${{ amount: 10, reason: 'x', expires_at: '2020-01-01T00:00:00Z' }} | ${'body.expires_at'}
    ${{ amount: 10, reason: 'x', priority: 10_000 }}                   | ${'body.priority'}
    ${{ amount: 10, reason: 'x', balance: 1_000_000 }}                 | ${'body'}
  `('refuses a grant of $body naming $field', async ({ body, field }) => {
    const c = await subscriber();
    const res = await c.grant(body);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(String(res.body.error.details?.field ?? '')).toContain(field);
    expect((await c.own('GET', '/billing/credits')).body.balance).toBe(0);
  });

  it('a customer sets and lifts their spend cap, within the maximum an admin set', async () => {
    const c = await subscriber();
    const set = await c.own('PUT', '/billing/spend-cap', { amount_cents: 2500, mode: 'notify' });
    expect(set.body).toMatchObject({ amount_cents: 2500, amount: 25, mode: 'notify', reached: false });
    await c.asAdmin('PUT', '/spend-cap-max', { max_cents: 1000 });
    // The admin's maximum lowered the cap to it.
    expect((await c.own('GET', '/billing/spend-cap')).body).toMatchObject({
      amount_cents: 1000,
      max_cents: 1000,
    });
    const above = await c.own('PUT', '/billing/spend-cap', { amount_cents: 1001, mode: 'block' });
    expect(above.status).toBe(400);
    expect(above.body.error).toMatchObject({
      code: 'spend_cap_above_maximum',
      details: { field: 'body.amount_cents' },
    });
    const lift = await c.own('PUT', '/billing/spend-cap', { amount_cents: null });
    expect(lift.body.error).toMatchObject({ code: 'spend_cap_required' });
    for (const bad of [
      { amount_cents: -1 },
      { amount_cents: 1.5 },
      { amount_cents: '5' },
      { amount_cents: 5, mode: 'never' },
    ]) {
      expect((await c.own('PUT', '/billing/spend-cap', bad)).status).toBe(400);
    }
    const audits = await db.orm.em
      .fork()
      .find(AuditEntry, { action: 'credits.spend_cap_max', entityId: c.customer.id });
    expect(audits).toHaveLength(1);
  });

  it('an admin’s maximum makes the cap block: a notifying cap becomes a blocking one within it, and notify is refused', async () => {
    const c = await subscriber();
    expect(
      (await c.own('PUT', '/billing/spend-cap', { amount_cents: 500, mode: 'notify' })).body,
    ).toMatchObject({
      amount_cents: 500,
      mode: 'notify',
    });
    await c.asAdmin('PUT', '/spend-cap-max', { max_cents: 1000 });
    // The cap was within the maximum: it keeps its amount and now blocks.
    expect((await c.own('GET', '/billing/spend-cap')).body).toMatchObject({
      amount_cents: 500,
      mode: 'block',
      max_cents: 1000,
    });
    const notify = await c.own('PUT', '/billing/spend-cap', { amount_cents: 300, mode: 'notify' });
    expect(notify.status).toBe(400);
    expect(notify.body.error).toMatchObject({
      code: 'spend_cap_must_block',
      details: { field: 'body.mode' },
    });
    expect((await c.own('GET', '/billing/spend-cap')).body).toMatchObject({
      amount_cents: 500,
      mode: 'block',
    });
    const blocking = await c.own('PUT', '/billing/spend-cap', { amount_cents: 300, mode: 'block' });
    expect(blocking.body).toMatchObject({ amount_cents: 300, mode: 'block', max_cents: 1000 });
    // Lifting the maximum gives the customer the choice back.
    await c.asAdmin('PUT', '/spend-cap-max', { max_cents: null });
    expect((await c.own('PUT', '/billing/spend-cap', { amount_cents: 300, mode: 'notify' })).status).toBe(
      200,
    );
  });

  it('a notifying cap above a new maximum is stored as a blocking one at the maximum', async () => {
    const c = await subscriber();
    await c.own('PUT', '/billing/spend-cap', { amount_cents: 2500, mode: 'notify' });
    await c.asAdmin('PUT', '/spend-cap-max', { max_cents: 1000 });
    const [row] = await sqlFor(db.orm.em.fork()).run<{ cents: unknown; mode: string }>(
      'select spend_cap_cents as cents, spend_cap_mode as mode from credit_settings where customer_id = ?',
      [c.customer.id],
    );
    expect({ cents: Number(row?.cents), mode: row?.mode }).toEqual({ cents: 1000, mode: 'block' });
    const audit = await db.orm.em
      .fork()
      .findOneOrFail(AuditEntry, { action: 'credits.spend_cap_max', entityId: c.customer.id });
    expect(audit).toMatchObject({
      before: { spendCapMaxCents: null, spendCap: { cents: 2500, mode: 'notify' } },
      after: { spendCapMaxCents: 1000, spendCap: { cents: 1000, mode: 'block' } },
    });
  });

  it('takes a customer’s first settings from several requests at once, each answered, none lost', async () => {
    const c = await subscriber();
    // Each request changes its own fields: the first row is made once and no change is lost.
    const answers = await Promise.all([
      c.own('PUT', '/billing/spend-cap', { amount_cents: 700, mode: 'notify' }),
      c.own('PUT', '/billing/alerts', { balance_below: 40 }),
      c.own('PUT', '/billing/credits/auto-top-up', { enabled: false, threshold: 30, pack_id: null }),
      c.own('PUT', '/billing/alerts', { overage_cents: 900 }),
      c.own('PUT', '/billing/spend-cap', { amount_cents: 700, mode: 'notify' }),
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    const credits = (await c.own('GET', '/billing/credits')).body;
    expect(credits.spend_cap).toMatchObject({ amount_cents: 700, mode: 'notify' });
    expect(credits.auto_top_up).toMatchObject({ enabled: false, threshold: 30 });
    expect((await c.own('GET', '/billing/alerts')).body).toMatchObject({
      balance_below: { value: 40, source: 'customer' },
      overage_cents: { value: 900, source: 'customer' },
    });
  });

  it('refuses malformed purchase and auto top-up bodies by class, naming the field', async () => {
    const c = await subscriber();
    const packId = newId('pack');
    for (const [path, body, field] of [
      ['/billing/credits/purchase', { pack_id: 'pack_\ud800' }, 'body.pack_id'],
      ['/billing/credits/purchase', { pack_id: `${packId}\u0000` }, 'body.pack_id'],
      ['/billing/credits/purchase', { pack_id: packId, extra: 1 }, null],
      ['/billing/credits/purchase', { pack_id: packId, success_url: 'x'.repeat(3000) }, 'body.success_url'],
      ['/billing/credits/auto-top-up', { enabled: true, threshold: 1.5, pack_id: packId }, 'body.threshold'],
      ['/billing/credits/auto-top-up', { enabled: true, threshold: 1e30, pack_id: packId }, 'body.threshold'],
      ['/billing/credits/auto-top-up', { enabled: true, threshold: -1, pack_id: packId }, 'body.threshold'],
      ['/billing/credits/auto-top-up', { enabled: 'yes', threshold: 10, pack_id: packId }, 'body.enabled'],
      ['/billing/credits/auto-top-up', { enabled: true, threshold: '10', pack_id: packId }, 'body.threshold'],
      [
        '/billing/credits/auto-top-up',
        { enabled: true, threshold: 10, pack_id: { a: { b: 1 } } },
        'body.pack_id',
      ],
    ] as const) {
      const method = path.endsWith('purchase') ? 'POST' : 'PUT';
      const res = await c.own(method, path, body);
      expect({ path, body, status: res.status, code: res.body.error?.code }).toEqual({
        path,
        body,
        status: 400,
        code: 'validation_failed',
      });
      if (field) expect(JSON.stringify(res.body.error)).toContain(field.replace('body.', ''));
    }
  });

  it('lists active packs publicly, and an admin puts packs on sale, changes and withdraws them', async () => {
    const code = `pack-${dialect}`;
    const made = await api.request('POST', '/api/v1/admin/billing/credit-packs', {
      token: admin,
      body: { code, name: 'Ten thousand', credits: 10_000, price_cents: 1000, expires_after_days: 365 },
    });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({
      code,
      credits: 10_000,
      price_cents: 1000,
      price: 10,
      currency: 'usd',
      active: true,
    });
    const again = await api.request('POST', '/api/v1/admin/billing/credit-packs', {
      token: admin,
      body: { code, name: 'Twin', credits: 1, price_cents: 100 },
    });
    expect(again.body.error).toMatchObject({ code: 'pack_code_exists' });
    const listed = await api.request('GET', '/api/v1/plans/credit-packs');
    expect(listed.body.packs.map((p: { code: string }) => p.code)).toContain(code);
    const off = await api.request('PATCH', `/api/v1/admin/billing/credit-packs/${made.body.id}`, {
      token: admin,
      body: { active: false },
    });
    expect(off.body).toMatchObject({ active: false });
    const after = await api.request('GET', '/api/v1/plans/credit-packs');
    expect(after.body.packs.map((p: { code: string }) => p.code)).not.toContain(code);
    const unknown = await api.request('PATCH', `/api/v1/admin/billing/credit-packs/${newId('pack')}`, {
      token: admin,
      body: { active: false },
    });
    expect(unknown.status).toBe(404);
    expect(await db.orm.em.fork().count(CreditPack, { code })).toBe(1);
  });
});
