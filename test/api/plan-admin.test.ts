import { AuditEntry, Customer, Plan, Subscription } from '../../db/entities';
import { newId } from '../../db/ids';
import { startTestApi, type TestApi } from '../helpers/api';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { openTestDatabase } from '../helpers/db';

describe('plan administration', () => {
  let idp: TestIdp;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let api: TestApi;
  let admin: string;

  beforeAll(async () => {
    [idp, db] = await Promise.all([startTestIdp(), openTestDatabase('sqlite')]);
    api = await startTestApi({ orm: db.orm, env: { OIDC_ISSUER: idp.issuer, OIDC_JWKS_URL: idp.jwksUrl } });
    admin = await idp.token({ sub: 'admin-1', email: 'admin@example.com', roles: ['admin'] });
  });
  afterAll(async () => {
    await api.stop();
    await Promise.all([idp.stop(), db.close()]);
  });

  const basic = (id: string) => ({
    id,
    display_name: 'Team',
    price_monthly: '29.99',
    price_yearly_cents: 29900,
    services: ['ops-center', 'chat'],
    included_credits: 300,
    overage_price_per_1k: 2.5,
  });

  it('creates a plan with dollar prices turned into integer cents, and audits it', async () => {
    const res = await api.request('POST', '/api/v1/subscriptions/plans', {
      token: admin,
      body: basic('team'),
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      id: 'team',
      version: 1,
      price_monthly_cents: 2999,
      price_monthly: 29.99,
      price_yearly_cents: 29900,
      overage_price_per_1k_cents: 250,
      stripe_sync: 'skipped',
    });
    const audit = await db.orm.em.fork().find(AuditEntry, { entityType: 'plan', entityId: 'team' });
    expect(audit.map((a) => [a.action, a.actorEmail])).toEqual([['plan.create', 'admin@example.com']]);
    expect((await api.request('GET', '/api/v1/subscriptions/plans/team')).body.price_monthly_cents).toBe(
      2999,
    );
  });

  it('refuses a second plan with the same id and an amount with fractions of a cent', async () => {
    await api.request('POST', '/api/v1/subscriptions/plans', { token: admin, body: basic('dupe') });
    const again = await api.request('POST', '/api/v1/subscriptions/plans', {
      token: admin,
      body: basic('dupe'),
    });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('plan_exists');
    const bad = await api.request('POST', '/api/v1/subscriptions/plans', {
      token: admin,
      body: { ...basic('fractional'), price_monthly: '1.005' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.field).toBe('body.price_monthly');
  });

  it('changes a plan without subscribers in place', async () => {
    await api.request('POST', '/api/v1/subscriptions/plans', { token: admin, body: basic('solo') });
    const res = await api.request('PUT', '/api/v1/subscriptions/plans/solo', {
      token: admin,
      body: { price_monthly_cents: 3999 },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ version: 1, price_monthly_cents: 3999, grandfathered_subscribers: 0 });
    expect(await db.orm.em.fork().count(Plan, { code: 'solo' })).toBe(1);
  });

  it('makes a new version when a plan with subscribers changes price, and subscribers keep theirs', async () => {
    await api.request('POST', '/api/v1/subscriptions/plans', { token: admin, body: basic('grand') });
    const em = db.orm.em.fork();
    const v1 = await em.findOneOrFail(Plan, { code: 'grand', version: 1 });
    const customer = em.create(Customer, {
      id: newId('cust'),
      userId: 'u-grand',
      email: 'grand@example.com',
    });
    const sub = em.create(Subscription, {
      id: newId('subs'),
      customer,
      plan: v1,
      tier: 'grand',
      status: 'active',
      amountCents: 2999,
    });
    await em.flush();

    const res = await api.request('PUT', '/api/v1/subscriptions/plans/grand', {
      token: admin,
      body: { price_monthly_cents: 3499 },
    });
    expect(res.body).toMatchObject({ version: 2, price_monthly_cents: 3499, grandfathered_subscribers: 1 });
    const after = db.orm.em.fork();
    const kept = await after.findOneOrFail(Subscription, sub.id, { populate: ['plan'] });
    expect(kept.plan.version).toBe(1);
    expect(kept.plan.priceMonthlyCents).toBe(2999);
    expect((await after.findOneOrFail(Plan, { code: 'grand', version: 1 })).isCurrent).toBe(false);
    expect((await api.request('GET', '/api/v1/subscriptions/plans/grand')).body.version).toBe(2);

    // A change of wording alone does not need a new version.
    const reworded = await api.request('PUT', '/api/v1/subscriptions/plans/grand', {
      token: admin,
      body: { display_name: 'Grand' },
    });
    expect(reworded.body).toMatchObject({ version: 2, display_name: 'Grand' });
  });

  it('archives a plan: it leaves the list but stays for its subscribers', async () => {
    await api.request('POST', '/api/v1/subscriptions/plans', { token: admin, body: basic('old') });
    const res = await api.request('DELETE', '/api/v1/subscriptions/plans/old', { token: admin });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: 'old', status: 'archived', archived: true });
    const list = await api.request('GET', '/api/v1/subscriptions/plans');
    expect(list.body.map((p: { id: string }) => p.id)).not.toContain('old');
    expect((await api.request('GET', '/api/v1/subscriptions/plans/old')).status).toBe(404);
  });

  it('lets only admins change plans', async () => {
    const editor = await idp.token({ email: 'ed@example.com', roles: ['editor'] });
    const res = await api.request('POST', '/api/v1/subscriptions/plans', {
      token: editor,
      body: basic('nope'),
    });
    expect(res.status).toBe(403);
    expect(await db.orm.em.fork().count(Plan, { code: 'nope' })).toBe(0);
  });
});
