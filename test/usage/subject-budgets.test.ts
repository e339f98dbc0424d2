import fc from 'fast-check';
import type { Dialect } from '../../db/orm';
import { sqlFor } from '../../db/raw-sql';
import { MAX_BUDGETS_PER_CUSTOMER } from '../../domain/subject-budgets';
import type { TestIdp } from '../helpers/auth';
import { seedSubscriber, startTwoUsageApis, type UsageApi } from './fixtures';

const DAY = 86_400_000;
const REPORT = '/api/v1/billing/report_usage';

interface Sent {
  id: string;
  quantity: number;
  subject?: string;
}

describe.each<Dialect>(['sqlite', 'postgresql'])('budgets inside an account (%s)', (dialect) => {
  let stack: Awaited<ReturnType<typeof startTwoUsageApis>>;
  let db: Awaited<ReturnType<typeof startTwoUsageApis>>['db'];
  let idp: TestIdp;
  let apis: UsageApi[];
  let gateway: string;
  let n = 0;

  beforeAll(async () => {
    stack = await startTwoUsageApis(dialect);
    ({ db, idp, apis, gateway } = stack);
  });
  afterAll(() => stack?.stop());

  /** A new subscriber, their calls, and the gateway's reports and checks for them. */
  async function customer(plan = 'professional') {
    const email = `budgets-${dialect}-${++n}@example.com`;
    const { customer: row, sub } = await seedSubscriber(db.orm, {
      email,
      plan,
      periodStart: new Date(Date.now() - 3 * DAY),
    });
    const token = await idp.token({ sub, email });
    const api = apis[0] as UsageApi;
    return {
      email,
      id: row.id,
      own: (method: string, path: string, body?: unknown) =>
        api.request(method, `/api/v1${path}`, { token, body }),
      setBudget: (subject: string, body: Record<string, unknown>, via = 0) =>
        (apis[via] as UsageApi).request('PUT', `/api/v1/billing/budgets/${encodeURIComponent(subject)}`, {
          token,
          body,
        }),
      report: (events: Sent[], via = 0) =>
        (apis[via] as UsageApi).request('POST', REPORT, {
          token: gateway,
          body: { customer_email: email, events: events.map((e) => ({ type: 'inference', ...e })) },
        }),
      check: (subject?: string) =>
        api.request(
          'POST',
          `/api/v1/subscriptions/check-access/api?customer_email=${encodeURIComponent(email)}${
            subject === undefined ? '' : `&subject=${encodeURIComponent(subject)}`
          }`,
          { token: gateway },
        ),
    };
  }

  /** Units stored per subject for a customer, and what the subject counters hold for one window. */
  async function storedBySubject(customerId: string) {
    const sql = sqlFor(db.orm.em.fork());
    const rows = await sql.run<{ subject: string | null; units: unknown }>(
      'select subject, sum(quantity) as units from usage_events where customer_id = ? group by subject',
      [customerId],
    );
    return new Map(rows.map((r) => [r.subject, Number(r.units)]));
  }

  it("refuses a subject's newest events past its daily budget and holds no other subject nor unnamed usage", async () => {
    const c = await customer();
    const set = await c.setBudget('project-a', { per: 'day', limit_units: 10 });
    expect(set.status).toBe(200);
    expect(set.body.budgets).toEqual([
      expect.objectContaining({ subject: 'project-a', per: 'day', limit_units: 10, used: 0, remaining: 10 }),
    ]);

    const res = await c.report([
      { id: 'a1', quantity: 4, subject: 'project-a' },
      { id: 'a2', quantity: 4, subject: 'project-a' },
      { id: 'a3', quantity: 4, subject: 'project-a' },
      { id: 'b1', quantity: 40, subject: 'project-b' },
      { id: 'c1', quantity: 40 },
    ]);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ accepted: 4, rejected: 1 });
    const tomorrow = new Date(Date.UTC(...utcYmd(Date.now() + DAY))).toISOString();
    expect(res.body.rejected_events).toEqual([
      expect.objectContaining({ index: 2, id: 'a3', reason: 'budget_reached' }),
    ]);
    expect(res.body.rejected_events[0].message).toContain(tomorrow);

    const after = await c.own('GET', '/billing/budgets');
    expect(after.body.budgets[0]).toMatchObject({
      used: 8,
      remaining: 2,
      reached: false,
      resets_at: tomorrow,
    });
    expect(await storedBySubject(c.id)).toEqual(
      new Map<string | null, number>([
        ['project-a', 8],
        ['project-b', 40],
        [null, 40],
      ]),
    );

    // The two units left are taken; then a report of only that subject is refused whole, with Retry-After.
    expect((await c.report([{ id: 'a4', quantity: 2, subject: 'project-a' }])).body.accepted).toBe(1);
    const full = await c.report([{ id: 'a5', quantity: 1, subject: 'project-a' }]);
    expect(full.status).toBe(429);
    expect(full.body.error.code).toBe('budget_reached');
    expect(Number(full.headers.get('retry-after'))).toBeGreaterThan(0);
    // A replay of a kept event is still a duplicate, not a refusal.
    expect((await c.report([{ id: 'a4', quantity: 2, subject: 'project-a' }])).body).toMatchObject({
      accepted: 0,
      duplicate: 1,
    });
  });

  it('check-access answers for the subject it names: room in its budget, or budget_reached until the window ends', async () => {
    const c = await customer();
    await c.setBudget('key-1', { per: 'day', limit_units: 5 });
    const plain = await c.check();
    expect(plain.status).toBe(200);
    expect(plain.body).not.toHaveProperty('budget');
    expect((await c.check('no-budget')).body).toMatchObject({ allowed: true, budget: null });

    expect((await c.check('key-1')).body).toMatchObject({
      allowed: true,
      reason: 'ok',
      budget: { subject: 'key-1', per: 'day', limit_units: 5, used: 0, remaining: 5 },
    });
    // Reported through the other API process: the check reads the committed counter, not a cache.
    expect((await c.report([{ id: 'k1', quantity: 5, subject: 'key-1' }], 1)).body.accepted).toBe(1);
    const refused = await c.check('key-1');
    expect(refused.body).toMatchObject({
      allowed: false,
      reason: 'budget_reached',
      budget: { used: 5, remaining: 0 },
    });
    expect(refused.body.resets_at).toBe(refused.body.budget.resets_at);
    // The account itself still has room.
    expect((await c.check('key-2')).body.allowed).toBe(true);
  });

  it('a period budget counts what the subject used before it was set, and removing it lifts the hold', async () => {
    const c = await customer();
    expect(
      (await c.report([{ id: 'p1', quantity: 30, subject: 'user:ann@example.com' }])).body.accepted,
    ).toBe(1);
    const set = await c.setBudget('user:ann@example.com', { per: 'period', limit_units: 35 });
    expect(set.body.budgets[0]).toMatchObject({ used: 30, remaining: 5 });
    const res = await c.report([
      { id: 'p2', quantity: 10, subject: 'user:ann@example.com' },
      { id: 'p3', quantity: 5, subject: 'user:ann@example.com' },
    ]);
    // Newest first while over: p3 goes, then p2; p2 alone is still over, p3 alone would have fitted.
    expect(res.status).toBe(429);
    expect(res.body.error.details.rejected_events.map((e: { id: string }) => e.id)).toEqual(['p2', 'p3']);
    expect((await c.report([{ id: 'p4', quantity: 5, subject: 'user:ann@example.com' }])).body.accepted).toBe(
      1,
    );
    // The customer's usage records say which subject each kept event was for.
    const records = await c.own('GET', '/billing/usage_records');
    expect(
      (records.body.records as { event_id: string; subject: string | null }[])
        .filter((r) => ['p1', 'p4'].includes(r.event_id))
        .map((r) => r.subject),
    ).toEqual(['user:ann@example.com', 'user:ann@example.com']);

    const removed = await c.own('DELETE', '/billing/budgets/user%3Aann%40example.com');
    expect(removed.status).toBe(200);
    expect(removed.body.budgets).toEqual([]);
    expect(
      (await c.report([{ id: 'p5', quantity: 10, subject: 'user:ann@example.com' }])).body.accepted,
    ).toBe(1);
    const again = await c.own('DELETE', '/billing/budgets/user%3Aann%40example.com');
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe('budget_not_found');
  });

  it('the alert goes out once per window as budget.threshold_reached, whichever process reports', async () => {
    const c = await customer();
    await c.setBudget('team-x', { per: 'day', limit_units: 100, alert_percent: 80 });
    expect((await c.report([{ id: 't1', quantity: 79, subject: 'team-x' }])).status).toBe(200);
    await c.report([{ id: 't2', quantity: 1, subject: 'team-x' }], 1);
    await c.report([{ id: 't3', quantity: 5, subject: 'team-x' }], 0);
    await c.report([{ id: 't4', quantity: 5, subject: 'team-x' }], 1);
    const sql = sqlFor(db.orm.em.fork());
    const events = await waitFor(async () => {
      const rows = await sql.run<{ payload: string | Record<string, unknown> }>(
        `select payload from billing_events where customer_id = ? and type = 'budget.threshold_reached'`,
        [c.id],
      );
      return rows.length > 0 ? rows : null;
    });
    // Give a second recording every chance to happen, then count.
    await new Promise((r) => setTimeout(r, 300));
    const all = await sql.run(
      `select id from billing_events where customer_id = ? and type = 'budget.threshold_reached'`,
      [c.id],
    );
    expect(all).toHaveLength(1);
    const payload =
      typeof events[0]!.payload === 'string' ? JSON.parse(events[0]!.payload) : events[0]!.payload;
    expect(payload).toMatchObject({ subject: 'team-x', per: 'day', limit_units: 100, alert_percent: 80 });
    expect(payload.used).toBeGreaterThanOrEqual(80);
  });

  it('refuses hostile and careless budgets and subjects, naming the field', async () => {
    const c = await customer();
    const bad: [string, Record<string, unknown>, string][] = [
      ['ok', { per: 'week', limit_units: 5 }, 'body.per'],
      ['ok', { per: 'day', limit_units: 0 }, 'body.limit_units'],
      ['ok', { per: 'day', limit_units: 1.5 }, 'body.limit_units'],
      ['ok', { per: 'day', limit_units: '10' }, 'body.limit_units'],
      ['ok', { per: 'day', limit_units: 1e12 }, 'body.limit_units'],
      ['ok', { per: 'day', limit_units: 5, alert_percent: 0 }, 'body.alert_percent'],
      ['ok', { per: 'day', limit_units: 5, alert_percent: 101 }, 'body.alert_percent'],
      ['ok', { per: 'day', limit_units: 5, extra: true }, 'body'],
      ['a b', { per: 'day', limit_units: 5 }, 'params.subject'],
      ['a\nb', { per: 'day', limit_units: 5 }, 'params.subject'],
      ['projét', { per: 'day', limit_units: 5 }, 'params.subject'],
      ['\u202eevil', { per: 'day', limit_units: 5 }, 'params.subject'],
      ['x'.repeat(101), { per: 'day', limit_units: 5 }, 'params.subject'],
    ];
    for (const [subject, body, field] of bad) {
      const res = await c.setBudget(subject, body);
      expect({ subject, status: res.status, code: res.body.error?.code }).toEqual({
        subject,
        status: 400,
        code: 'validation_failed',
      });
      expect(res.body.error.field ?? res.body.error.details?.field).toContain(field);
    }
    // Paths a careless or hostile client sends as they are: a lone surrogate, a NUL, an overlong or
    // invalid UTF-8 byte, an encoded slash, a stray percent. None becomes a budget, none is a 500.
    for (const raw of ['%ED%A0%80', '%00', '%C0%AF', '%FF', 'a%2Fb', '%', 'ok%20']) {
      const res = await c.own('PUT', `/billing/budgets/${raw}`, { per: 'day', limit_units: 5 });
      expect({ raw, status: res.status }).toEqual({ raw, status: 400 });
    }
    // An event naming a subject that is not one is refused on its own, the rest of the batch kept.
    const res = await apis[0]!.request('POST', REPORT, {
      token: gateway,
      body: {
        customer_email: c.email,
        events: [
          { id: 'h1', type: 'inference', quantity: 1, subject: 12 },
          { id: 'h2', type: 'inference', quantity: 1, subject: 'bad subject' },
          { id: 'h3', type: 'inference', quantity: 1, subject: 'good' },
        ],
      },
    });
    expect(res.body).toMatchObject({ accepted: 1, rejected: 2 });
    expect((await c.own('GET', '/billing/budgets')).body.budgets).toEqual([]);
  });

  it("keeps each customer's budgets apart, and at most the allowed number of them", async () => {
    const a = await customer();
    const b = await customer();
    await a.setBudget('shared-name', { per: 'day', limit_units: 1 });
    expect((await b.own('GET', '/billing/budgets')).body.budgets).toEqual([]);
    // The same subject name in another account is another subject.
    expect((await b.report([{ id: 's1', quantity: 50, subject: 'shared-name' }])).body.accepted).toBe(1);
    const admin = await idp.token({ sub: 'admin-budgets', email: 'boss@example.com', roles: ['admin'] });
    const seen = await apis[0]!.request(
      'GET',
      `/api/v1/admin/billing/customers/${encodeURIComponent(a.email)}/budgets`,
      { token: admin },
    );
    expect(seen.body.budgets).toEqual([expect.objectContaining({ subject: 'shared-name', limit_units: 1 })]);

    for (let i = 1; i < MAX_BUDGETS_PER_CUSTOMER; i++)
      expect((await a.setBudget(`s-${i}`, { per: 'day', limit_units: 5 })).status).toBe(200);
    const over = await a.setBudget('one-too-many', { per: 'day', limit_units: 5 });
    expect(over.status).toBe(409);
    expect(over.body.error.code).toBe('too_many_budgets');
    // Changing one already kept is not one more.
    expect((await a.setBudget('s-1', { per: 'period', limit_units: 9 })).status).toBe(200);
    // Ten places free, twenty new budgets at once through both processes: ten are kept, never more.
    for (let i = 1; i <= 10; i++) expect((await a.own('DELETE', `/billing/budgets/s-${i}`)).status).toBe(200);
    const raced = await Promise.all(
      Array.from({ length: 20 }, (_, i) => a.setBudget(`race-${i}`, { per: 'day', limit_units: 5 }, i % 2)),
    );
    expect(raced.map((r) => r.status).sort()).toEqual([...Array(10).fill(200), ...Array(10).fill(409)]);
    expect((await a.own('GET', '/billing/budgets')).body.budgets).toHaveLength(MAX_BUDGETS_PER_CUSTOMER);
  });

  it('32 reporters through two API processes never pass a budget, and the counters equal the stored events', async () => {
    const c = await customer('enterprise');
    await c.setBudget('race', { per: 'day', limit_units: 300 });
    let acceptedUnits = 0;
    await Promise.all(
      Array.from({ length: 32 }, async (_, r) => {
        for (let k = 0; k < 5; k++) {
          const events = [1, 2].map((i) => ({
            id: `r${r}-${k}-${i}`,
            quantity: 1 + ((r * 7 + k * 3 + i) % 9),
            subject: 'race',
          }));
          const res = await c.report(events, (r + k) % 2);
          expect([200, 429]).toContain(res.status);
          const outcome = res.status === 200 ? res.body : res.body.error.details;
          const refused = new Set((outcome.rejected_events as { index: number }[]).map((e) => e.index));
          acceptedUnits += events.reduce((s, e, i) => s + (refused.has(i) ? 0 : e.quantity), 0);
        }
      }),
    );
    const stored = (await storedBySubject(c.id)).get('race') ?? 0;
    expect(stored).toBe(acceptedUnits);
    expect(stored).toBeLessThanOrEqual(300);
    // Refusal is per event: a few units may stay unused when no waiting event fits them.
    expect(stored).toBeGreaterThan(300 - 2 * 9);
    const view = await c.own('GET', '/billing/budgets');
    expect(view.body.budgets[0]).toMatchObject({ used: stored, remaining: 300 - stored });
  });

  it('what is kept matches a model of the budget, report after report (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 40 }),
        fc.array(
          fc.array(
            fc.record({
              quantity: fc.integer({ min: 1, max: 15 }),
              subject: fc.constantFrom('m', 'n', undefined),
            }),
            {
              minLength: 1,
              maxLength: 6,
            },
          ),
          { minLength: 1, maxLength: 6 },
        ),
        async (limit, reports) => {
          const c = await customer('enterprise');
          await c.setBudget('m', { per: 'period', limit_units: limit });
          // The model: subject m's reports keep their oldest events, the newest going while over.
          let used = 0;
          let seq = 0;
          for (const report of reports) {
            const events = report.map((e) => ({
              id: `e${++seq}`,
              quantity: e.quantity,
              ...(e.subject ? { subject: e.subject } : {}),
            }));
            const mine = events.filter((e) => e.subject === 'm');
            let total = used + mine.reduce((s, e) => s + e.quantity, 0);
            const out = new Set<string>();
            for (let i = mine.length - 1; i >= 0 && total > limit; i--) {
              out.add(mine[i]!.id);
              total -= mine[i]!.quantity;
            }
            used = total;
            const res = await c.report(events, seq % 2);
            const outcome = res.status === 200 ? res.body : res.body.error.details;
            const refused = (outcome.rejected_events as { id: string; reason: string }[]).map((e) => e.id);
            expect(new Set(refused)).toEqual(out);
          }
          expect((await storedBySubject(c.id)).get('m') ?? 0).toBe(used);
        },
      ),
      { numRuns: 12 },
    );
  });
});

function utcYmd(ms: number): [number, number, number] {
  const d = new Date(ms);
  return [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()];
}

async function waitFor<T>(probe: () => Promise<T | null>, timeoutMs = 5000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const got = await probe();
    if (got !== null) return got;
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}
