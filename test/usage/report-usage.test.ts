import { AuditEntry, DailyUsage, UsageEvent } from '../../db/entities';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { openTestDatabase } from '../helpers/db';
import { controlClock, seedSubscriber, startUsageApi, storeCustomerKey, type UsageApi } from './fixtures';

const DAY = 86_400_000;
// 10:00 UTC on a fixed day, so the distance to midnight is known.
const T0 = Date.parse('2026-03-10T10:00:00.000Z');
const REPORT = '/api/v1/billing/report_usage';

describe.each(['sqlite', 'postgresql'] as const)('metered usage through the API (%s)', (dialect) => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let idp: TestIdp;
  let api: UsageApi;
  let clock: ReturnType<typeof controlClock>;

  beforeAll(async () => {
    [db, idp] = await Promise.all([openTestDatabase(dialect), startTestIdp()]);
    api = await startUsageApi(db.orm, idp);
    clock = controlClock(db.orm, T0);
  });

  afterAll(async () => {
    await api?.stop();
    await Promise.all([db?.close(), idp?.stop()]);
  });

  const tokenFor = (email: string, roles: string[] = []) => idp.token({ sub: `kc-${email}`, email, roles });

  it('accepts a usage type an admin added, and only after it was added', async () => {
    await seedSubscriber(db.orm, {
      email: 'types@example.com',
      plan: 'professional',
      periodStart: new Date(T0 - 5 * DAY),
    });
    const token = await tokenFor('types@example.com');
    const admin = await tokenFor('types-admin@example.com', ['admin']);
    const editor = await tokenFor('types-editor@example.com', ['editor']);
    const event = (id: string) => ({ id, type: 'rerank', quantity: 1 });

    const before = await api.request('POST', REPORT, { token, body: event('t-1') });
    expect(before.body).toMatchObject({ accepted: 0, rejected: 1 });
    expect(before.body.rejected_events[0]).toMatchObject({ index: 0, reason: 'unknown_type' });

    expect(
      (await api.request('POST', '/api/v1/admin/usage-types', { token: editor, body: { code: 'rerank' } }))
        .status,
    ).toBe(403);
    const added = await api.request('POST', '/api/v1/admin/usage-types', {
      token: admin,
      body: { code: 'rerank', description: 'Reranking calls' },
    });
    expect(added.status).toBe(201);
    expect(added.body).toEqual({ code: 'rerank', description: 'Reranking calls', built_in: false });
    const again = await api.request('POST', '/api/v1/admin/usage-types', {
      token: admin,
      body: { code: 'rerank' },
    });
    expect(again.status).toBe(409);
    expect((await api.request('GET', '/api/v1/admin/usage-types', { token: editor })).status).toBe(403);
    const listed = await api.request('GET', '/api/v1/admin/usage-types', { token: admin });
    expect(listed.body.types.map((t: { code: string }) => t.code)).toEqual([
      'inference',
      'embedding',
      'tts',
      'stt',
      'rerank',
    ]);

    const after = await api.request('POST', REPORT, { token, body: event('t-2') });
    expect(after.body).toMatchObject({ accepted: 1, rejected: 0 });
  });

  it('stores a batch once: replaying it reports every event as a duplicate and counts nothing twice', async () => {
    const { customer } = await seedSubscriber(db.orm, {
      email: 'replay@example.com',
      plan: 'professional',
      periodStart: new Date(T0 - 5 * DAY),
    });
    const token = await tokenFor('replay@example.com');
    const events = [
      { id: 'r-1', type: 'inference', quantity: 2, timestamp: new Date(T0 - 60_000).toISOString() },
      { id: 'r-2', type: 'embedding', quantity: 3 },
      { id: 'r-3', type: 'tts', quantity: 1, metadata: { model: 'x' } },
    ];
    const first = await api.request('POST', REPORT, { token, body: { events } });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ accepted: 3, duplicate: 0, rejected: 0, rejected_events: [] });

    const replay = await api.request('POST', REPORT, { token, body: { events } });
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ accepted: 0, duplicate: 3, rejected: 0 });

    const em = db.orm.em.fork();
    expect(await em.count(UsageEvent, { customer })).toBe(3);
    const counters = await em.find(DailyUsage, { customerId: customer.id });
    expect(counters.reduce((n, c) => n + c.quantity, 0)).toBe(6);

    const usage = await api.request('GET', '/api/v1/billing/usage', { token });
    expect(usage.body.usage.today).toMatchObject({ inference: 2, embedding: 3, tts: 1, stt: 0 });
  });

  it('keeps the good events of a batch and lists each rejected one with its index and reason', async () => {
    await seedSubscriber(db.orm, {
      email: 'mixed@example.com',
      plan: 'professional',
      periodStart: new Date(T0 - 2 * DAY),
    });
    const token = await tokenFor('mixed@example.com');
    const res = await api.request('POST', REPORT, {
      token,
      body: {
        events: [
          { id: 'm-1', type: 'inference', quantity: 1 },
          { id: 'm-2', type: 'teleport', quantity: 1 },
          { id: 'm-3', type: 'inference', quantity: 1, timestamp: new Date(T0 + 10 * 60_000).toISOString() },
          { id: 'm-4', type: 'inference', quantity: 1, timestamp: new Date(T0 - 3 * DAY).toISOString() },
          { id: 'm-5', type: 'inference', quantity: -4 },
          { id: 'm-6', type: 'stt', quantity: 2, timestamp: new Date(T0 + 60_000).toISOString() },
          { id: 'm-1', type: 'inference', quantity: 1 },
        ],
      },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ accepted: 2, duplicate: 1, rejected: 4 });
    expect(
      res.body.rejected_events.map((r: { index: number; reason: string }) => [r.index, r.reason]),
    ).toEqual([
      [1, 'unknown_type'],
      [2, 'timestamp_in_future'],
      [3, 'before_billing_period'],
      [4, 'invalid'],
    ]);
    expect(res.body.rejected_events[3].message).toContain('events.4.quantity');
  });

  it("accepts seed 003's form, with metadata as a JSON string", async () => {
    await seedSubscriber(db.orm, {
      email: 'legacy@example.com',
      plan: 'starter',
      periodStart: new Date(T0 - DAY),
    });
    const token = await tokenFor('legacy@example.com');
    const res = await api.request('POST', REPORT, {
      token,
      body: { quantity: 5.0, subscription_item_id: 'si_123', metadata: '{"source":"cli"}' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ accepted: 1, duplicate: 0, rejected: 0 });
    const records = await api.request('GET', '/api/v1/billing/usage_records', { token });
    expect(records.body.records[0]).toMatchObject({
      type: 'inference',
      quantity: 5,
      metadata: { source: 'cli', subscription_item_id: 'si_123' },
      status: 'pending',
    });
    const bad = await api.request('POST', REPORT, { token, body: { quantity: 1.5 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'validation_failed', details: { field: 'body.quantity' } });
  });

  it('lets only the gateway report for another customer, and never for itself', async () => {
    const { customer } = await seedSubscriber(db.orm, {
      email: 'target@example.com',
      plan: 'professional',
      periodStart: new Date(T0 - DAY),
    });
    await storeCustomerKey(db.orm, customer);
    const body = { id: 's-1', type: 'inference', quantity: 1, customer_email: 'target@example.com' };
    for (const roles of [[], ['editor'], ['admin']]) {
      const person = await api.request('POST', REPORT, {
        token: await tokenFor('someone@example.com', roles),
        body,
      });
      expect([roles, person.status]).toEqual([roles, 403]);
    }
    const gateway = await api.request('POST', REPORT, {
      token: await tokenFor('svc@example.com', ['billing-gateway']),
      body: {
        events: [
          body,
          { ...body, id: 's-2', customer_email: 'nobody@example.com' },
          { id: 's-3', type: 'inference', quantity: 1 },
          { id: 's-4', type: 'inference', quantity: 7, byok: true, user_id: customer.userId },
        ],
      },
    });
    expect(gateway.body).toMatchObject({ accepted: 2, rejected: 2, quota: null });
    expect(gateway.body.rejected_events).toMatchObject([
      { index: 1, reason: 'customer_not_found' },
      { index: 2, reason: 'customer_not_found', message: expect.stringContaining('must name the customer') },
    ]);
    const stored = await db.orm.em.fork().find(UsageEvent, { customer }, { orderBy: { eventId: 'asc' } });
    expect(stored.map((e) => [e.eventId, e.quantity, e.byok])).toEqual([
      ['s-1', 1, false],
      ['s-4', 7, true],
    ]);
  });

  it('stops a trial at 100 calls a day with 429 and Retry-After, and lets it start again after 00:00 UTC', async () => {
    await seedSubscriber(db.orm, {
      email: 'trial@example.com',
      plan: 'trial',
      status: 'trialing',
      periodStart: new Date(T0 - DAY),
    });
    const token = await tokenFor('trial@example.com');
    const batch = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) => ({ id: `q-${from + i}`, type: 'inference', quantity: 1 }));

    const first = await api.request('POST', REPORT, { token, body: { events: batch(0, 98) } });
    expect(first.body).toMatchObject({ accepted: 98, quota: { limit: 100, remaining_today: 2 } });

    // Crossing the limit: the first two fit, the rest of the batch is refused.
    const crossing = await api.request('POST', REPORT, { token, body: { events: batch(98, 5) } });
    expect(crossing.status).toBe(200);
    expect(crossing.body).toMatchObject({ accepted: 2, rejected: 3, quota: { remaining_today: 0 } });
    expect(crossing.body.rejected_events.map((r: { index: number }) => r.index)).toEqual([2, 3, 4]);

    const check = await api.request('POST', '/api/v1/subscriptions/check-access/chat', { token });
    expect(check.body).toMatchObject({ allowed: false, reason: 'daily_quota_exhausted', remaining_today: 0 });

    const over = await api.request('POST', REPORT, {
      token,
      body: { id: 'q-over', type: 'inference', quantity: 1 },
    });
    expect(over.status).toBe(429);
    expect(over.body.error.code).toBe('daily_quota_exceeded');
    expect(over.headers.get('retry-after')).toBe(String(14 * 60 * 60)); // 10:00 → 24:00 UTC

    // A replay of stored events while over the limit is still just a duplicate.
    const replay = await api.request('POST', REPORT, { token, body: { events: batch(0, 3) } });
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ accepted: 0, duplicate: 3, rejected: 0 });

    clock.set(Date.parse('2026-03-11T00:00:01.000Z'));
    const nextDay = await api.request('POST', '/api/v1/subscriptions/check-access/chat', { token });
    expect(nextDay.body).toMatchObject({ allowed: true, remaining_today: 100 });
    const after = await api.request('POST', REPORT, {
      token,
      body: { id: 'q-over', type: 'inference', quantity: 1 },
    });
    expect(after.status).toBe(200);
    expect(after.body).toMatchObject({ accepted: 1, quota: { remaining_today: 99 } });
    clock.set(T0);
  });

  it("lets an admin reset today's counters, audited, without deleting the billed events", async () => {
    const { customer } = await seedSubscriber(db.orm, {
      email: 'reset@example.com',
      plan: 'trial',
      status: 'trialing',
      periodStart: new Date(T0 - DAY),
    });
    const token = await tokenFor('reset@example.com');
    const events = Array.from({ length: 100 }, (_, i) => ({ id: `z-${i}`, type: 'inference', quantity: 1 }));
    expect((await api.request('POST', REPORT, { token, body: { events } })).body.accepted).toBe(100);
    const blocked = await api.request('POST', '/api/v1/subscriptions/check-access/chat', { token });
    expect(blocked.body.allowed).toBe(false);

    const path = '/api/v1/admin/subscriptions/reset@example.com/reset-usage';
    expect(
      (await api.request('POST', path, { token: await tokenFor('ed@example.com', ['editor']) })).status,
    ).toBe(403);
    const admin = await tokenFor('boss@example.com', ['admin']);
    const reset = await api.request('POST', path, { token: admin, body: { reason: 'support ticket 42' } });
    expect(reset.status).toBe(200);
    expect(reset.body).toMatchObject({ reset: true, previous_used: 100, day: '2026-03-10' });

    const open = await api.request('POST', '/api/v1/subscriptions/check-access/chat', { token });
    expect(open.body).toMatchObject({ allowed: true, remaining_today: 100 });
    const em = db.orm.em.fork();
    expect(await em.count(UsageEvent, { customer })).toBe(100);
    const audit = await em.findOneOrFail(AuditEntry, { action: 'usage.reset', entityId: customer.id });
    expect(audit).toMatchObject({
      actorEmail: 'boss@example.com',
      before: { day: '2026-03-10', used: { inference: 100 } },
    });

    const stats = await api.request('GET', '/api/v1/admin/subscriptions/analytics/usage-stats', {
      token: admin,
    });
    expect(stats.status).toBe(200);
    expect(stats.body.rollup_backlog.events_not_rolled_up).toBeGreaterThanOrEqual(100);
  });

  it('prices overage in whole cents: 585 used of 500 included at $2.00/1k costs $0.17 (seed 001)', async () => {
    const { customer } = await seedSubscriber(db.orm, {
      email: 'pro@example.com',
      plan: 'professional',
      periodStart: new Date(T0 - 3 * DAY),
    });
    await storeCustomerKey(db.orm, customer);
    const token = await tokenFor('pro@example.com');
    const at = (d: number) => new Date(T0 - d * DAY).toISOString();
    const res = await api.request('POST', REPORT, {
      token,
      body: {
        events: [
          { id: 'p-1', type: 'inference', quantity: 435, timestamp: at(2) },
          { id: 'p-2', type: 'inference', quantity: 15 },
          { id: 'p-3', type: 'embedding', quantity: 115, timestamp: at(1) },
          { id: 'p-4', type: 'embedding', quantity: 5 },
          { id: 'p-5', type: 'tts', quantity: 10, timestamp: at(1) },
          { id: 'p-6', type: 'stt', quantity: 5, timestamp: at(1) },
          // On the customer's own key: shown apart, never counted against credits.
          { id: 'p-7', type: 'inference', quantity: 1000, byok: true },
        ],
      },
    });
    expect(res.body.accepted).toBe(7);
    const usage = await api.request('GET', '/api/v1/billing/usage', { token });
    expect(usage.body).toMatchObject({
      usage: {
        today: { inference: 15, embedding: 5, tts: 0, stt: 0 },
        month: { inference: 450, embedding: 120, tts: 10, stt: 5 },
        byok_month: { inference: 1000 },
      },
      credits: {
        tier: 'professional',
        included_credits: 500,
        used: 585,
        remaining: 0,
        overage: 85,
        overage_cost: 0.17,
        overage_cost_cents: 17,
        price_per_1k: 2,
        price_per_1k_cents: 200,
      },
      tier: 'professional',
    });
  });

  it('gives a yearly subscriber twelve months of included credits for the year', async () => {
    await seedSubscriber(db.orm, {
      email: 'yearly@example.com',
      plan: 'professional',
      interval: 'year',
      periodStart: new Date(T0 - 40 * DAY),
    });
    const token = await tokenFor('yearly@example.com');
    const res = await api.request('POST', REPORT, {
      token,
      body: { events: [{ id: 'y-1', type: 'inference', quantity: 6085 }] },
    });
    expect(res.body.accepted).toBe(1);
    const usage = await api.request('GET', '/api/v1/billing/usage', { token });
    expect(usage.body.credits).toMatchObject({
      included_credits: 6000,
      used: 6085,
      overage: 85,
      overage_cost_cents: 17,
    });
  });

  it("pages through the caller's usage records newest first, serving each event once", async () => {
    await seedSubscriber(db.orm, {
      email: 'pages@example.com',
      plan: 'professional',
      periodStart: new Date(T0 - DAY),
    });
    const token = await tokenFor('pages@example.com');
    const events = Array.from({ length: 7 }, (_, i) => ({
      id: `p-${i}`,
      type: i % 2 ? 'embedding' : 'inference',
      quantity: 1,
    }));
    expect((await api.request('POST', REPORT, { token, body: { events } })).body.accepted).toBe(7);
    const records = '/api/v1/billing/usage_records';
    const whole = await api.request('GET', `${records}?limit=200`, { token });
    expect(whole.body.next_cursor).toBeNull();
    const ids = whole.body.records.map((r: { id: string }) => r.id);
    expect(ids).toHaveLength(7);
    expect([...ids].sort().reverse()).toEqual(ids);

    const seen: string[] = [];
    let cursor: string | null = null;
    for (let round = 0; round === 0 || (cursor && round < 10); round++) {
      const q: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const page = await api.request('GET', `${records}?limit=3${q}`, { token });
      expect(page.status).toBe(200);
      seen.push(...page.body.records.map((r: { id: string }) => r.id));
      cursor = page.body.next_cursor;
    }
    expect(seen).toEqual(ids);

    const inference = await api.request('GET', `${records}?limit=2&type=inference`, { token });
    const next = await api.request(
      'GET',
      `${records}?limit=2&type=inference&cursor=${encodeURIComponent(inference.body.next_cursor)}`,
      { token },
    );
    expect(
      [...inference.body.records, ...next.body.records].map((r: { event_id: string }) => r.event_id),
    ).toEqual(
      whole.body.records
        .filter((r: { type: string }) => r.type === 'inference')
        .map((r: { event_id: string }) => r.event_id),
    );

    const foreign = await api.request('GET', `${records}?cursor=not-a-cursor`, { token });
    expect(foreign.status).toBe(400);
    expect(foreign.body.error).toMatchObject({ code: 'invalid_cursor', details: { field: 'query.cursor' } });
  });
});
