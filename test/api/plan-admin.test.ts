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

  it('versions a plan whose entitlements change and previews who gains and loses what, overrides counted', async () => {
    await api.request('POST', '/api/v1/subscriptions/plans', {
      token: admin,
      body: { ...basic('ents'), entitlements: [{ feature: 'seats', kind: 'limit', limit: 3 }] },
    });
    const em = db.orm.em.fork();
    const v1 = await em.findOneOrFail(Plan, { code: 'ents', version: 1 });
    const person = (name: string) =>
      em.create(Customer, { id: newId('cust'), userId: `u-${name}`, email: `${name}@example.com` });
    const [ada, bob] = [person('ada-ents'), person('bob-ents')];
    for (const customer of [ada, bob])
      em.create(Subscription, {
        id: newId('subs'),
        customer,
        plan: v1,
        tier: 'ents',
        status: 'active',
        amountCents: 2999,
      });
    await em.flush();
    // Bob already has ten seats by an override: the new version's five are no loss to him.
    const override = await api.request(
      'POST',
      '/api/v1/admin/billing/customers/bob-ents@example.com/entitlement-overrides',
      {
        token: admin,
        body: { feature: 'seats', limit: 10, reason: 'contract' },
      },
    );
    expect(override.status).toBe(201);

    const changed = await api.request('PUT', '/api/v1/subscriptions/plans/ents', {
      token: admin,
      body: { services: ['ops-center'], entitlements: [{ feature: 'seats', kind: 'limit', limit: 5 }] },
    });
    expect(changed.body).toMatchObject({ version: 2, grandfathered_subscribers: 2 });
    expect(changed.body.entitlements).toContainEqual({ feature: 'seats', kind: 'limit', limit: 5 });
    const preview = await api.request('GET', '/api/v1/admin/plans/ents/migration-preview', { token: admin });
    expect(preview.status).toBe(200);
    const of = (email: string) =>
      preview.body.subscriptions
        .find((s: { email: string }) => s.email === email)
        .entitlement_changes.map((c: { feature: string; change: string }) => `${c.feature} ${c.change}`);
    expect(of('ada-ents@example.com')).toEqual(['chat lost', 'seats raised']);
    expect(of('bob-ents@example.com')).toEqual(['chat lost']);
    expect(preview.body.entitlement_summary).toEqual([
      { feature: 'chat', change: 'lost', subscribers: 2 },
      { feature: 'seats', change: 'raised', subscribers: 1 },
    ]);

    const bad = await api.request('PUT', '/api/v1/subscriptions/plans/ents', {
      token: admin,
      body: { entitlements: [{ feature: 'seats', kind: 'limit', limit: -1 }] },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({
      code: 'entitlement_invalid',
      details: { field: 'entitlements.0.limit' },
    });
  });

  it('takes a rate card, shows it back as sent, and names the field of a card at fault', async () => {
    const rateCard = [
      { usage_type: 'inference', price: { model: 'per_unit', unit_amount_decimal: '0.1' } },
      {
        usage_type: 'inference',
        match: { model: 'gpt-4o' },
        included: 1000,
        price: {
          model: 'graduated',
          tiers: [{ up_to: 10_000, unit_amount_decimal: '0.5' }, { up_to: null }],
        },
      },
    ];
    const made = await api.request('POST', '/api/v1/subscriptions/plans', {
      token: admin,
      body: { ...basic('rated'), rate_card: rateCard },
    });
    expect(made.status).toBe(201);
    expect(made.body.rate_card.map((l: { key: string }) => l.key)).toEqual([
      'inference',
      'inference[model=gpt-4o]',
    ]);
    // What the API shows is what it takes: sent back unchanged, nothing changes.
    const read = await api.request('GET', '/api/v1/subscriptions/plans/rated');
    const same = await api.request('PUT', '/api/v1/subscriptions/plans/rated', {
      token: admin,
      body: { rate_card: read.body.rate_card },
    });
    expect(same.status).toBe(200);
    expect(same.body.rate_card).toEqual(read.body.rate_card);
    expect(same.body.version).toBe(1);

    for (const [card, field] of [
      [
        [{ usage_type: 'inference', price: { model: 'per_unit', unit_amount_decimal: '1e3' } }],
        'body.rate_card.0.price.unit_amount_decimal',
      ],
      [
        [{ usage_type: '*', price: { model: 'per_unit', unit_amount_decimal: '1' } }],
        'body.rate_card.0.usage_type',
      ],
      [
        [
          {
            usage_type: 'tts',
            match: { model: 'x' },
            price: { model: 'per_unit', unit_amount_decimal: '1' },
          },
        ],
        'body.rate_card.0.match',
      ],
      [{ usage_type: 'tts' }, 'body.rate_card'],
    ] as const) {
      const bad = await api.request('PUT', '/api/v1/subscriptions/plans/rated', {
        token: admin,
        body: { rate_card: card },
      });
      expect(bad.status).toBe(400);
      expect(bad.body.error.details.field).toBe(field);
    }
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
