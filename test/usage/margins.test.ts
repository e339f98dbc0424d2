import { createUsageActivities } from '../../activities/usage';
import { createLogger } from '../../config/logger';
import { AuditEntry, Customer, Invoice, ModelCostOverride, Subscription } from '../../db/entities';
import { newId } from '../../db/ids';
import { createPlan } from '../../services/plans/manage-plans';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { openTestDatabase } from '../helpers/db';
import { expectRefusals } from '../helpers/refusals';
import { rateCard } from '../helpers/rate-cards';
import {
  billingAdmin,
  controlClock,
  seedSubscriber,
  startUsageApi,
  storeCustomerKey,
  type UsageApi,
} from './fixtures';

jest.setTimeout(120_000);

const MIN = 60_000;
const admin = billingAdmin;

describe.each<'sqlite' | 'postgresql'>(['sqlite', 'postgresql'])('margins of a month (%s)', (dialect) => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let idp: TestIdp;
  let api: UsageApi;
  let adminToken: string;

  beforeAll(async () => {
    [db, idp] = await Promise.all([openTestDatabase(dialect), startTestIdp()]);
    api = await startUsageApi(db.orm, idp);
    adminToken = await idp.token({ sub: 'kc-admin', email: 'admin@example.com', roles: ['admin'] });
  });
  afterAll(async () => {
    await api?.stop();
    await Promise.all([db?.close(), idp?.stop()]);
  });

  const get = (path: string, token = adminToken) => api.request('GET', `/api/v1${path}`, { token });

  it('gives each model, plan and customer the revenue, cost and margin computed by hand for the month', async () => {
    // The card: gpt-4o at 0.002¢ a unit ($20 per million), other inference at 0.001¢, BYOK a fee of 0.0001¢.
    await createPlan(db.orm.em.fork(), admin, 'margin-pro', {
      displayName: 'Margin Pro',
      priceMonthlyCents: 2000,
      services: ['api', 'byok'],
      includedCredits: 0,
      overagePer1kCents: 0,
      rateCard: rateCard([
        { usage_type: 'inference', price: { model: 'per_unit', unit_amount_decimal: '0.001' } },
        {
          usage_type: 'inference',
          match: { model: 'gpt-4o' },
          price: { model: 'per_unit', unit_amount_decimal: '0.002' },
        },
        { usage_type: '*', byok: true, price: { model: 'per_unit', unit_amount_decimal: '0.0001' } },
      ]),
    });
    const october = Date.UTC(2026, 9, 1);
    const email = `margins-${dialect}@example.com`;
    const { customer, subscription, sub } = await seedSubscriber(db.orm, {
      email,
      plan: 'margin-pro',
      periodStart: new Date(Date.UTC(2026, 8, 1)),
    });
    await storeCustomerKey(db.orm, customer);
    const token = await idp.token({ sub, email });
    const clock = controlClock(db.orm, october - 60 * MIN);
    const activities = createUsageActivities({
      orm: db.orm,
      logger: createLogger('silent', 'test'),
      now: () => clock.now(),
    });
    const report = async (at: number, events: object[]) => {
      clock.set(at);
      const res = await api.request('POST', '/api/v1/billing/report_usage', { token, body: { events } });
      expect(res.body).toMatchObject({ accepted: events.length, rejected: 0 });
    };
    // September's last hour, in the period before: a million input tokens October's margins must not count.
    await report(october - 60 * MIN, [
      {
        id: 'sep',
        type: 'inference',
        quantity: 1_000_000,
        metadata: { model: 'gpt-4o', direction: 'input' },
      },
    ]);
    clock.set(october - 30 * MIN);
    await activities.rollupUsage({ windowSeconds: 300 });
    // The renewal opens October's period, as the mirror records it.
    await db.orm.em
      .fork()
      .nativeUpdate(
        Subscription,
        { id: subscription.id },
        { currentPeriodStart: new Date(october), currentPeriodEnd: new Date(Date.UTC(2026, 10, 1)) },
      );
    await report(october + 10 * MIN, [
      {
        id: 'mixed',
        type: 'inference',
        quantity: 170_000,
        metadata: { model: 'gpt-4o', tokens: { input: 100_000, cached: 50_000, output: 20_000 } },
      },
      {
        id: 'claude',
        type: 'inference',
        quantity: 10_000,
        metadata: { model: 'claude-sonnet-4', direction: 'output' },
      },
      { id: 'own-key', type: 'inference', quantity: 50_000, byok: true, metadata: { model: 'gpt-4o' } },
      {
        id: 'mystery',
        type: 'inference',
        quantity: 3_000,
        metadata: { model: 'mystery-1', direction: 'input' },
      },
      { id: 'in', type: 'inference', quantity: 40_000, metadata: { model: 'gpt-4o', direction: 'input' } },
    ]);
    clock.set(october + 30 * MIN);
    await activities.rollupUsage({ windowSeconds: 300 });

    // Invoices issued in October: one paid (2,500 less a 100 discount, 200 of tax), one void, one draft.
    const em = db.orm.em.fork();
    for (const [status, subtotal] of [
      ['paid', 2500],
      ['void', 9000],
      ['draft', 7000],
    ] as const) {
      em.create(Invoice, {
        id: newId('inv'),
        stripeInvoiceId: `in_margin_${dialect}_${status}`,
        customer: em.getReference(Customer, customer.id),
        status,
        currency: 'usd',
        subtotalCents: subtotal,
        discountCents: status === 'paid' ? 100 : 0,
        taxCents: 200,
        totalCents: subtotal + 100,
        createdAt: new Date(october + 86_400_000),
      });
    }
    await em.flush();

    const r = await get('/admin/revenue/margins?month=2026-10');
    expect(r.status).toBe(200);
    // Costs at the catalogue's gpt-4o row of 2024-10-01 (250 / 125 / 1,000¢ per million):
    //   mixed: 100,000 × 250 + 50,000 × 125 + 20,000 × 1,000 = 51.25¢; in: 40,000 × 250 = 10¢ → 61.25 → 61.
    //   claude-sonnet-4 output at 1,500: 10,000 → 15¢. mystery-1: no rate, 3,000 units uncosted.
    //   own key: nothing (50,000 BYOK units).
    // Revenue: gpt-4o line 210,000 × 0.002 = 420 plus the BYOK fee 50,000 × 0.0001 = 5 → 425;
    //   the inference line 13,000 × 0.001 = 13, split 10 (claude) and 3 (mystery).
    const models = Object.fromEntries(r.body.models.map((m: { model: string }) => [m.model, m]));
    expect(models['gpt-4o']).toMatchObject({
      provider: 'openai',
      tokens: { input: 140_000, cached: 50_000, output: 20_000, reasoning: 0 },
      byok_units: 50_000,
      uncosted_units: 0,
      revenue_cents: 425,
      cost_cents: 61,
      margin_cents: 364,
      margin_percent: 85.6,
    });
    expect(models['claude-sonnet-4']).toMatchObject({
      provider: 'anthropic',
      tokens: { input: 0, cached: 0, output: 10_000, reasoning: 0 },
      revenue_cents: 10,
      cost_cents: 15,
      margin_cents: -5,
      margin_percent: -50,
    });
    expect(models['mystery-1']).toMatchObject({
      provider: null,
      uncosted_units: 3_000,
      revenue_cents: 3,
      cost_cents: 0,
    });
    // The least margin first.
    expect(r.body.models.map((m: { model: string }) => m.model)).toEqual([
      'claude-sonnet-4',
      'mystery-1',
      'gpt-4o',
    ]);
    // The customer's whole bill (the paid invoice net of discount and tax) against all of their usage's
    // cost, 51.25 + 10 + 15 = 76.25 → 76.
    expect(r.body.customers).toEqual([
      {
        email,
        plan: 'margin-pro',
        invoices: 1,
        usage_revenue_cents: 438,
        revenue_cents: 2400,
        cost_cents: 76,
        margin_cents: 2324,
        margin_percent: 96.8,
      },
    ]);
    expect(r.body.plans).toEqual([
      {
        plan: 'margin-pro',
        customers: 1,
        revenue_cents: 2400,
        cost_cents: 76,
        margin_cents: 2324,
        margin_percent: 96.8,
      },
    ]);
    expect(r.body.totals).toEqual({
      revenue_cents: 2400,
      cost_cents: 76,
      margin_cents: 2324,
      margin_percent: 96.8,
      uncosted_units: 3_000,
      byok_units: 50_000,
    });
    expect(r.body.customer_count).toBe(1);

    // A negotiated rate from tomorrow changes nothing already costed.
    const set = await api.request('POST', '/api/v1/admin/model-costs', {
      token: adminToken,
      body: { model: 'gpt-4o', input: '100', output: '400', reason: 'Volume agreement' },
    });
    expect(set.status).toBe(201);
    const after = await get('/admin/revenue/margins?month=2026-10');
    expect(after.body.totals).toEqual(r.body.totals);
    expect(after.body.models).toEqual(r.body.models);

    // September holds only the million tokens of its last hour: 250¢, no revenue rolled up in it.
    const september = await get('/admin/revenue/margins?month=2026-09');
    expect(september.body.totals).toMatchObject({ cost_cents: 250, revenue_cents: 0 });
  });

  it('schedules a negotiated rate from a day to come, audited, and never for a day begun', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const later = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
    const send = (body: Record<string, unknown>, token = adminToken) =>
      api.request('POST', '/api/v1/admin/model-costs', { token, body });
    const ok = await send({
      model: 'o3',
      valid_from: later,
      input: '150',
      output: '600',
      reason: 'Committed spend tier',
    });
    expect(ok.status).toBe(201);
    const o3 = ok.body.models.find((m: { model: string }) => m.model === 'o3');
    // In force today: the catalogue's row; the override waits for its day, cached and reasoning defaulted.
    expect(o3.current).toMatchObject({ source: 'catalogue', valid_from: '2025-06-10' });
    expect(o3.scheduled).toEqual([
      {
        model: 'o3',
        provider: 'openai',
        valid_from: later,
        rates: { input: '150', cached: '150', output: '600', reasoning: '600' },
        source: 'override',
        reason: 'Committed spend tier',
      },
    ]);
    // The same day again replaces what had not begun; the audit keeps both.
    const again = await send({
      model: 'o3',
      valid_from: later,
      input: '140',
      output: '600',
      reason: 'Renegotiated',
    });
    expect(again.body.models.find((m: { model: string }) => m.model === 'o3').scheduled).toHaveLength(1);
    const audits = await db.orm.em
      .fork()
      .find(AuditEntry, { action: 'model_cost.override', entityId: 'o3' }, { orderBy: { createdAt: 'asc' } });
    expect(audits.map((a) => [a.before === null, (a.after as { input: string }).input])).toEqual([
      [true, '150'],
      [false, '140'],
    ]);
    // Two for one day at the same instant: both are taken, one after the other, never a 500.
    const raced = await Promise.all(
      ['Race one', 'Race two'].map((reason) =>
        send({ model: 'gpt-4.1', valid_from: later, input: '150', output: '600', reason }),
      ),
    );
    expect(raced.map((r) => r.status)).toEqual([201, 201]);
    const kept = await db.orm.em.fork().find(ModelCostOverride, { model: 'gpt-4.1', validFrom: later });
    expect(kept).toHaveLength(1);
    const listed = await get('/admin/model-costs');
    expect(listed.status).toBe(200);
    expect(listed.body.history.filter((h: { model: string }) => h.model === 'o3')).toHaveLength(3);

    const customer = await idp.token({ sub: 'kc-someone', email: 'someone@example.com' });
    await expectRefusals(send, [
      [
        { model: 'o3', valid_from: today, input: '1', output: '1', reason: 'x' },
        409,
        'cost_history_fixed',
        'body.valid_from',
      ],
      [
        { model: 'o3', valid_from: '2020-01-01', input: '1', output: '1', reason: 'x' },
        409,
        'cost_history_fixed',
        'body.valid_from',
      ],
      [
        { model: 'brand-new', input: '1', output: '1', reason: 'x' },
        400,
        'validation_failed',
        'body.provider',
      ],
      [{ model: 'o3', input: '-1', output: '1', reason: 'x' }, 400, 'validation_failed', 'body.input'],
      [{ model: 'o3', input: '1.1234567', output: '1', reason: 'x' }, 400, 'validation_failed', 'body.input'],
      [{ model: 'o3', input: '1e3', output: '1', reason: 'x' }, 400, 'validation_failed', 'body.input'],
      [{ model: 'o3', input: 5, output: '1', reason: 'x' }, 400, 'validation_failed', 'body.input'],
      [{ model: 'o3', input: '1', output: '1', reason: '   ' }, 400, 'validation_failed', 'body.reason'],
      [
        { model: 'o3', input: '1', output: '1', reason: 'r'.repeat(501) },
        400,
        'validation_failed',
        'body.reason',
      ],
      [{ model: 'o3', input: '1', output: '1' }, 400, 'validation_failed', 'body.reason'],
      [{ model: 'o 3', input: '1', output: '1', reason: 'x' }, 400, 'validation_failed', 'body.model'],
      [
        { model: 'o3', valid_from: '2026-02-30', input: '1', output: '1', reason: 'x' },
        400,
        'validation_failed',
        'body.valid_from',
      ],
      [{ model: 'o3', input: '1', output: '1', reason: 'x', extra: 1 }, 400, 'validation_failed', undefined],
    ]);
    expect((await send({ model: 'o3', input: '1', output: '1', reason: 'x' }, customer)).status).toBe(403);
    expect((await get('/admin/model-costs', customer)).status).toBe(403);
  });

  it('refuses a card that sells a model below its cost plus the floor, unless an admin says why', async () => {
    const send = (method: string, path: string, body: unknown) =>
      api.request(method, `/api/v1${path}`, { token: adminToken, body });
    const code = `floor-${dialect}`;
    // gpt-4o output costs 1,000¢ a million: 0.0008¢ a token is 800¢ a million, a margin of −25 %.
    const card = [
      { usage_type: 'inference', price: { model: 'per_unit', unit_amount_decimal: '0.01' } },
      {
        usage_type: 'inference',
        match: { model: 'gpt-4o', direction: 'output' },
        price: { model: 'per_unit', unit_amount_decimal: '0.0008' },
      },
    ];
    const plan = {
      id: code,
      display_name: 'Floor',
      price_monthly_cents: 1000,
      services: ['api'],
      rate_card: card,
    };
    const refused = await send('POST', '/subscriptions/plans', plan);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({
      code: 'margin_below_floor',
      message:
        'inference[direction=output,model=gpt-4o] sells gpt-4o output tokens at 800¢ per million against a cost of 1000¢ (from 2024-10-01): a margin of -25 %, below the floor of 0 %',
      details: {
        field: 'rate_card.1',
        model: 'gpt-4o',
        margin_percent: -25,
        floor_percent: 0,
        breaches: [
          expect.objectContaining({ line: 'inference[direction=output,model=gpt-4o]', kind: 'output' }),
        ],
      },
    });
    expect((await get(`/subscriptions/plans/${code}`)).status).toBe(404);

    const overridden = await send('POST', '/subscriptions/plans', {
      ...plan,
      margin_override_reason: 'Launch promotion, priced as a loss leader',
    });
    expect(overridden.status).toBe(201);
    const [audit] = await db.orm.em
      .fork()
      .find(AuditEntry, { action: 'plan.margin_override', entityId: code });
    expect(audit?.after).toMatchObject({
      reason: 'Launch promotion, priced as a loss leader',
      floor_percent: 0,
      breaches: [
        { model: 'gpt-4o', kind: 'output', price_per_million_cents: 800, cost_per_million_cents: 1000 },
      ],
    });

    // A floor of 50 %: 1,500¢ a million (a margin of 33.3 %) is refused on a new card; an edit that sends
    // no card is not judged.
    // Set twice at the same instant, the first time: both taken, never a 500.
    const first = await Promise.all(
      [50, 50].map((percent) => send('PUT', '/admin/model-costs/margin-floor', { percent })),
    );
    expect(first.map((r) => r.status)).toEqual([200, 200]);
    const floor = await send('PUT', '/admin/model-costs/margin-floor', { percent: 50 });
    expect(floor.status).toBe(200);
    expect(floor.body.margin_floor_percent).toBe(50);
    card[1]!.price.unit_amount_decimal = '0.0015';
    const below = await send('PUT', `/subscriptions/plans/${code}`, { rate_card: card });
    expect(below.status).toBe(409);
    expect(below.body.error.details).toMatchObject({
      field: 'rate_card.1',
      margin_percent: 33.3,
      floor_percent: 50,
    });
    expect((await send('PUT', `/subscriptions/plans/${code}`, { display_name: 'Floor plan' })).status).toBe(
      200,
    );
    card[1]!.price.unit_amount_decimal = '0.002';
    expect((await send('PUT', `/subscriptions/plans/${code}`, { rate_card: card })).status).toBe(200);
    await send('PUT', '/admin/model-costs/margin-floor', { percent: 0 });

    for (const [body, field] of [
      [{ percent: 96 }, 'body.percent'],
      [{ percent: -1 }, 'body.percent'],
      [{ percent: 1.25 }, 'body.percent'],
      [{ percent: '10' }, 'body.percent'],
      [{}, 'body.percent'],
    ] as const) {
      const r = await send('PUT', '/admin/model-costs/margin-floor', body);
      expect({ body, status: r.status, field: r.body.error?.details?.field }).toEqual({
        body,
        status: 400,
        field,
      });
    }
    const blank = await send('POST', '/subscriptions/plans', {
      ...plan,
      id: `${code}-2`,
      margin_override_reason: '  ',
    });
    expect(blank.body.error).toMatchObject({
      code: 'validation_failed',
      details: { field: 'body.margin_override_reason' },
    });
  });

  it("converts a euro customer's month at the admin's exchange rates, and holds a euro card to the floor", async () => {
    const send = (method: string, path: string, body: unknown) =>
      api.request(method, `/api/v1${path}`, { token: adminToken, body });
    const code = `margin-eu-${dialect}`;
    const card = (generic: string, gpt4oOutput: string) => [
      { usage_type: 'inference', price: { model: 'per_unit', unit_amount_decimal: generic } },
      {
        usage_type: 'inference',
        match: { model: 'gpt-4o', direction: 'output' },
        price: { model: 'per_unit', unit_amount_decimal: gpt4oOutput },
      },
    ];
    const created = await send('POST', '/subscriptions/plans', {
      id: code,
      display_name: 'Margin EU',
      price_monthly_cents: 2000,
      services: ['api'],
      rate_card: card('0.001', '0.003'),
      currency_prices: { eur: { price_monthly_cents: 1800, rate_card: card('0.0009', '0.0027') } },
    });
    expect(created.status).toBe(201);
    const august = Date.UTC(2026, 7, 1);
    const email = `margins-eur-${dialect}@example.com`;
    const { customer, sub } = await seedSubscriber(db.orm, {
      email,
      plan: code,
      periodStart: new Date(august),
      currency: 'eur',
    });
    const token = await idp.token({ sub, email });
    const clock = controlClock(db.orm, august + 10 * MIN);
    const usage = await api.request('POST', '/api/v1/billing/report_usage', {
      token,
      body: {
        id: 'eu-out',
        type: 'inference',
        quantity: 100_000,
        metadata: { model: 'gpt-4o', direction: 'output' },
      },
    });
    expect(usage.body).toMatchObject({ accepted: 1 });
    clock.set(august + 30 * MIN);
    await createUsageActivities({
      orm: db.orm,
      logger: createLogger('silent', 'test'),
      now: () => clock.now(),
    }).rollupUsage({ windowSeconds: 300 });
    const em = db.orm.em.fork();
    em.create(Invoice, {
      id: newId('inv'),
      stripeInvoiceId: `in_margin_eur_${dialect}`,
      customer: em.getReference(Customer, customer.id),
      status: 'paid',
      currency: 'eur',
      subtotalCents: 1800,
      discountCents: 0,
      taxCents: 0,
      totalCents: 1800,
      createdAt: new Date(august + 86_400_000),
    });
    await em.flush();

    // No rate for euros yet: the customer is left out, and the answer says which rate is missing.
    const without = await get('/admin/revenue/margins?month=2026-08');
    expect(without.body).toMatchObject({
      currency: 'usd',
      other_currency_customers: 1,
      missing_rates: ['eur'],
      customers: [],
      totals: { revenue_cents: 0, cost_cents: 0 },
    });

    // Reported in euros, a dollar worth 0.9 of one. Cost: 100,000 output tokens at 1,000¢ a million = 100
    // US cents = 90 euro cents. Revenue: the euro card's 100,000 × 0.0027 = 270 for the model; the invoice's
    // 1,800 for the customer.
    try {
      // Reported in euros with no rate for the dollar: the costs cannot be converted, and the answer says so.
      await send('PUT', '/admin/billing/exchange-rates', {
        reporting_currency: 'eur',
        rates: { gbp: '1.15' },
      });
      const noDollar = await get('/admin/revenue/margins?month=2026-08');
      expect({ status: noDollar.status, error: noDollar.body.error }).toMatchObject({
        status: 409,
        error: { code: 'exchange_rate_missing', details: { field: 'rates.usd' } },
      });
      const rates = await send('PUT', '/admin/billing/exchange-rates', {
        reporting_currency: 'eur',
        rates: { usd: '0.9' },
      });
      expect(rates.status).toBe(200);
      const inEuros = await get('/admin/revenue/margins?month=2026-08');
      expect(inEuros.body).toMatchObject({ currency: 'eur', other_currency_customers: 0, missing_rates: [] });
      expect(inEuros.body.models).toEqual([
        expect.objectContaining({ model: 'gpt-4o', revenue_cents: 270, cost_cents: 90, margin_cents: 180 }),
      ]);
      expect(inEuros.body.customers).toEqual([
        expect.objectContaining({
          email,
          revenue_cents: 1800,
          cost_cents: 90,
          margin_cents: 1710,
          margin_percent: 95,
        }),
      ]);

      // The euro card is held to the floor at the rate: 0.0008 euro cents a token is 800 a million against
      // 1,000 US cents = 900 euro cents, a margin of −12.5 %.
      const below = await send('PUT', `/subscriptions/plans/${code}`, {
        currency_prices: { eur: { price_monthly_cents: 1800, rate_card: card('0.0009', '0.0008') } },
      });
      expect(below.status).toBe(409);
      expect(below.body.error).toMatchObject({
        code: 'margin_below_floor',
        message:
          'inference[direction=output,model=gpt-4o] sells gpt-4o output tokens at 800 EUR cents per million against a cost of 900 EUR cents (from 2024-10-01, at the exchange rate): a margin of -12.5 %, below the floor of 0 %',
        details: { field: 'currency_prices.eur.rate_card.1', margin_percent: -12.5 },
      });
    } finally {
      await send('PUT', '/admin/billing/exchange-rates', { reporting_currency: 'usd', rates: {} });
    }
    // Without a rate the euro card cannot be judged, and is published.
    const unjudged = await send('PUT', `/subscriptions/plans/${code}`, {
      currency_prices: { eur: { price_monthly_cents: 1800, rate_card: card('0.0009', '0.0008') } },
    });
    expect(unjudged.status).toBe(200);
  });

  it('refuses a bad month or limit, and token counts it could not cost, naming the field', async () => {
    for (const [query, field] of [
      ['month=2026-13', 'query.month'],
      ['month=26-01', 'query.month'],
      ['limit=0', 'query.limit'],
      ['limit=1001', 'query.limit'],
      ['limit=1e400', 'query.limit'],
    ]) {
      const r = await get(`/admin/revenue/margins?${query}`);
      expect({
        query,
        status: r.status,
        code: r.body.error?.code,
        field: r.body.error?.details?.field,
      }).toEqual({
        query,
        status: 400,
        code: 'validation_failed',
        field,
      });
    }
    const email = `tokens-${dialect}@example.com`;
    const { sub } = await seedSubscriber(db.orm, { email, plan: 'margin-pro', periodStart: new Date() });
    const token = await idp.token({ sub, email });
    const send = (tokens: unknown) =>
      api.request('POST', '/api/v1/billing/report_usage', {
        token,
        body: {
          id: `t-${Math.random()}`,
          type: 'inference',
          quantity: 10,
          metadata: { model: 'gpt-4o', tokens },
        },
      });
    for (const tokens of [
      [],
      {},
      'many',
      null,
      { input: -1 },
      { input: 1.5 },
      { input: 1e7 },
      { input: '5' },
      { prompt: 5 },
    ]) {
      const r = await send(tokens);
      expect({
        tokens,
        status: r.status,
        code: r.body.error?.code,
        field: r.body.error?.details?.field,
      }).toEqual({
        tokens,
        status: 400,
        code: 'validation_failed',
        field: 'body.metadata.tokens',
      });
    }
    expect((await send({ input: 6, output: 4 })).status).toBeLessThan(300);
  });
});
