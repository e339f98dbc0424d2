import { AuditEntry, Customer, Plan, Subscription } from '../../db/entities';
import { newId } from '../../db/ids';
import { sqlFor } from '../../db/raw-sql';
import { startTestApi, type TestApi } from '../helpers/api';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { openTestDatabase } from '../helpers/db';
import { seedSubscriber } from '../usage/seed-subscriber';

const DAY = 86_400_000;

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
      // Free past 10,000 gpt-4o units is below the margin floor: published on purpose.
      body: {
        ...basic('rated'),
        rate_card: rateCard,
        margin_override_reason: 'Free beyond 10,000 on purpose',
      },
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

  it('creates a prepaid-only plan: its subscriber draws credits only, then is refused credits_exhausted with no overage stored', async () => {
    const made = await api.request('POST', '/api/v1/subscriptions/plans', {
      token: admin,
      body: {
        id: 'prepaid',
        display_name: 'Prepaid',
        price_monthly_cents: 1000,
        services: ['ops-center', 'chat'],
        included_credits: 100,
        prepaid_only: true,
      },
    });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ id: 'prepaid', prepaid_only: true, overage_price_per_1k_cents: 0 });
    expect(made.body.entitlements).toContainEqual(
      expect.objectContaining({ feature: 'credits', limit: 100, overage: 'block' }),
    );
    expect((await api.request('GET', '/api/v1/subscriptions/plans/prepaid')).body.prepaid_only).toBe(true);
    const versions = await api.request('GET', '/api/v1/admin/plans', { token: admin });
    expect(versions.body.find((v: { id: string }) => v.id === 'prepaid')).toMatchObject({
      prepaid_only: true,
    });
    // A plan made without the field bills overage, as every plan did.
    expect(
      (await api.request('POST', '/api/v1/subscriptions/plans', { token: admin, body: basic('billed') }))
        .body,
    ).toMatchObject({ prepaid_only: false });

    const email = 'pat-prepaid@example.com';
    const { customer, sub } = await seedSubscriber(db.orm, {
      email,
      plan: 'prepaid',
      periodStart: new Date(Date.now() - DAY),
    });
    const token = await idp.token({ sub, email });
    let n = 0;
    const report = (quantities: number[]) =>
      api.request('POST', '/api/v1/billing/report_usage', {
        token,
        body: { events: quantities.map((quantity) => ({ id: `pat-${++n}`, type: 'inference', quantity })) },
      });

    // The 100 included credits, then 20 an admin grants, and not one unit more.
    expect((await report([60, 40])).body).toMatchObject({ accepted: 2 });
    const grant = await api.request(
      'POST',
      `/api/v1/admin/billing/customers/${encodeURIComponent(email)}/credits`,
      { token: admin, body: { amount: 20, reason: 'goodwill' }, headers: { 'Idempotency-Key': 'pat-1' } },
    );
    expect(grant.status).toBe(201);
    const partly = await report([15, 10, 5]);
    expect(partly.status).toBe(200);
    expect(partly.body).toMatchObject({
      accepted: 2,
      rejected_events: [{ index: 1, reason: 'credits_exhausted' }],
    });
    const refused = await report([1]);
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ code: 'credits_exhausted' });
    expect(
      (await api.request('POST', '/api/v1/subscriptions/check-access/chat', { token })).body,
    ).toMatchObject({ allowed: false, reason: 'credits_exhausted' });

    const credits = await api.request('GET', '/api/v1/billing/credits', { token });
    expect(credits.body).toMatchObject({
      balance: 0,
      included: { credits: 100, used: 100, remaining: 0 },
      spend_cap: { period_overage_units: 0, period_overage_cents: 0 },
    });
    const [stored] = await sqlFor(db.orm.em.fork()).run<{ units: unknown; prepaid: unknown }>(
      'select sum(quantity) as units, sum(prepaid) as prepaid from usage_events where customer_id = ?',
      [customer.id],
    );
    // What is stored is what credits paid: 100 included and 20 prepaid, so nothing is left to bill.
    expect([Number(stored?.units), Number(stored?.prepaid)]).toEqual([120, 20]);

    // Turning it off is a change of terms: the subscriber keeps their prepaid-only version.
    const off = await api.request('PUT', '/api/v1/subscriptions/plans/prepaid', {
      token: admin,
      body: { prepaid_only: false },
    });
    expect(off.body).toMatchObject({ version: 2, prepaid_only: false, grandfathered_subscribers: 1 });
    const kept = await db.orm.em.fork().findOneOrFail(Subscription, { customer }, { populate: ['plan'] });
    expect(kept.plan).toMatchObject({ version: 1, prepaidOnly: true });
  });

  it('refuses a prepaid_only that is not a boolean, naming the field', async () => {
    await api.request('POST', '/api/v1/subscriptions/plans', { token: admin, body: basic('typed') });
    for (const value of ['true', 'false', null, 1, 0, {}, []]) {
      for (const [method, path, body] of [
        ['POST', '/api/v1/subscriptions/plans', { ...basic('typed-new'), prepaid_only: value }],
        ['PUT', '/api/v1/subscriptions/plans/typed', { prepaid_only: value }],
      ] as const) {
        const res = await api.request(method, path, { token: admin, body });
        expect({ value, method, status: res.status, code: res.body.error?.code }).toEqual({
          value,
          method,
          status: 400,
          code: 'validation_failed',
        });
        expect(res.body.error.details.field).toBe('body.prepaid_only');
      }
    }
    const em = db.orm.em.fork();
    expect(await em.count(Plan, { code: 'typed-new' })).toBe(0);
    expect((await em.findOneOrFail(Plan, { code: 'typed' })).prepaidOnly).toBe(false);
  });

  it('refuses a prepaid-only plan that would bill usage after the fact, naming what bills', async () => {
    const prepaid = (id: string) => ({ ...basic(id), overage_price_per_1k: 0, prepaid_only: true });
    const rateCard = [{ usage_type: 'tts', price: { model: 'per_unit', unit_amount_decimal: '0.1' } }];
    for (const [body, field] of [
      [{ ...prepaid('pp-overage'), overage_price_per_1k: 2.5 }, 'overage_price_per_1k_cents'],
      [{ ...prepaid('pp-card'), rate_card: rateCard }, 'rate_card'],
      [
        {
          ...prepaid('pp-eur'),
          currency_prices: {
            eur: { price_monthly_cents: 2799, price_yearly_cents: 27900, overage_price_per_1k_cents: 200 },
          },
        },
        'currency_prices.eur.overage_price_per_1k_cents',
      ],
      [
        {
          ...prepaid('pp-ent'),
          entitlements: [
            {
              feature: 'tts-minutes',
              kind: 'metered',
              usage_type: 'tts',
              amount: 10,
              per: 'period',
              overage: 'bill',
            },
          ],
        },
        'entitlements.0.overage',
      ],
    ] as const) {
      const res = await api.request('POST', '/api/v1/subscriptions/plans', { token: admin, body });
      expect({ field, status: res.status, error: res.body.error }).toMatchObject({
        field,
        status: 400,
        error: { code: 'prepaid_only_bills_usage', details: { field } },
      });
    }
    expect(await db.orm.em.fork().count(Plan, { code: { $like: 'pp-%' } })).toBe(0);

    // A plan with an overage price turns prepaid-only only with its overage price gone.
    await api.request('POST', '/api/v1/subscriptions/plans', { token: admin, body: basic('turned') });
    const refused = await api.request('PUT', '/api/v1/subscriptions/plans/turned', {
      token: admin,
      body: { prepaid_only: true },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({
      code: 'prepaid_only_bills_usage',
      details: { field: 'overage_price_per_1k_cents' },
    });
    expect((await db.orm.em.fork().findOneOrFail(Plan, { code: 'turned' })).prepaidOnly).toBe(false);
    const turned = await api.request('PUT', '/api/v1/subscriptions/plans/turned', {
      token: admin,
      body: { prepaid_only: true, overage_price_per_1k_cents: 0 },
    });
    expect(turned.status).toBe(200);
    expect(turned.body).toMatchObject({ version: 1, prepaid_only: true, overage_price_per_1k_cents: 0 });
    // And, prepaid-only, it takes no overage price back.
    const again = await api.request('PUT', '/api/v1/subscriptions/plans/turned', {
      token: admin,
      body: { overage_price_per_1k: '1.00' },
    });
    expect(again.body.error).toMatchObject({ code: 'prepaid_only_bills_usage' });
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
