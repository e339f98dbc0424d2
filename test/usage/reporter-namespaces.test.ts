import { createUsageActivities } from '../../activities/usage';
import { createLogger } from '../../config/logger';
import { DailyUsage, UsageEvent, UsageRollup } from '../../db/entities';
import { ROLES } from '../../domain/roles';
import { usageReporterOf } from '../../domain/usage-report';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { openTestDatabase } from '../helpers/db';
import { controlClock, seedSubscriber, startUsageApi, type UsageApi } from './fixtures';

const DAY = 86_400_000;
// 10:00 UTC: the rollup's 5-minute windows of the reports below have closed by 10:10.
const T0 = Date.parse('2026-03-10T10:00:00.000Z');
const REPORT = '/api/v1/billing/report_usage';
const RECORDS = '/api/v1/billing/usage_records?limit=200';

describe('whose namespace a report_usage caller reports event ids in', () => {
  it.each([...ROLES.map((role) => [role, 'self'] as const), ['billing-gateway', 'gateway'] as const])(
    '%s reports in the %s namespace',
    (principal, reporter) => {
      expect(usageReporterOf(principal)).toBe(reporter);
    },
  );
});

type Outcome = { accepted: number; duplicate: number; rejected: number };
type Rec = { event_id: string; reporter: string; quantity: number };

describe.each(['sqlite', 'postgresql'] as const)(
  'reporter namespaces for usage event ids (%s)',
  (dialect) => {
    let db: Awaited<ReturnType<typeof openTestDatabase>>;
    let idp: TestIdp;
    let api: UsageApi;

    beforeAll(async () => {
      [db, idp] = await Promise.all([openTestDatabase(dialect), startTestIdp()]);
      api = await startUsageApi(db.orm, idp);
      controlClock(db.orm, T0);
    });
    afterAll(async () => {
      await api?.stop();
      await Promise.all([db?.close(), idp?.stop()]);
    });

    let n = 0;
    async function subscriber(plan: string) {
      const email = `ns-${dialect}-${++n}@example.com`;
      const seeded = await seedSubscriber(db.orm, {
        email,
        plan,
        status: plan === 'trial' ? 'trialing' : 'active',
        periodStart: new Date(T0 - DAY),
      });
      return { ...seeded, email, token: await idp.token({ sub: seeded.sub, email }) };
    }
    // Two replicas of the gateway: service accounts of their own, one role, one namespace.
    const gateway = (replica: string) =>
      idp.token({
        sub: `svc-gateway-${replica}`,
        email: `gateway-${replica}@example.com`,
        roles: ['billing-gateway'],
      });
    const report = async (token: string, body: Record<string, unknown>) => {
      const res = await api.request('POST', REPORT, { token, body });
      return {
        status: res.status,
        body: (res.status === 200 ? res.body : res.body.error?.details) as Outcome,
      };
    };
    const counts = (o: Outcome) => ({ accepted: o.accepted, duplicate: o.duplicate, rejected: o.rejected });

    /** The gateway's next ids as the customer can work them out from its records: same prefix, next numbers. */
    function predictNext(records: Rec[], count: number): string[] {
      const numbered = records
        .map((r) => /^(.*?)(\d+)$/.exec(r.event_id))
        .filter((m): m is RegExpExecArray => m !== null);
      const last = numbered.reduce((a, b) => (Number(b[2]) > Number(a[2]) ? b : a));
      const [, prefix, digits] = last as unknown as [string, string, string];
      return Array.from(
        { length: count },
        (_, i) => `${prefix}${String(Number(digits) + 1 + i).padStart(digits.length, '0')}`,
      );
    }

    /** What the rollup folds for the customer (what it would send Stripe and Lago), by type. */
    async function rolledUp(customerId: string): Promise<number> {
      const { rollupUsage } = createUsageActivities({
        orm: db.orm,
        logger: createLogger('silent', 'test'),
        now: () => T0 + 10 * 60_000,
      });
      await rollupUsage({ windowSeconds: 300 });
      const rollups = await db.orm.em.fork().find(UsageRollup, { customer: customerId });
      return rollups.reduce((s, r) => s + r.quantity, 0);
    }

    it.each(['professional', 'enterprise'])(
      "a customer who reports the gateway's next ids first takes none of the gateway's events out of billing (%s plan)",
      async (plan) => {
        const c = await subscriber(plan);
        const [replicaA, replicaB] = await Promise.all([gateway('a'), gateway('b')]);
        // The gateway has reported some of the customer's calls: their ids are in the customer's records.
        const earlier = [1, 2, 3].map((i) => ({
          id: `gw-req-00000${i}`,
          type: 'inference',
          quantity: 10,
          customer_email: c.email,
        }));
        expect(counts((await report(replicaA, { events: earlier })).body)).toEqual({
          accepted: 3,
          duplicate: 0,
          rejected: 0,
        });

        const seen = (await api.request('GET', RECORDS, { token: c.token })).body.records as Rec[];
        const next = predictNext(seen, 5);
        expect(next).toEqual([
          'gw-req-000004',
          'gw-req-000005',
          'gw-req-000006',
          'gw-req-000007',
          'gw-req-000008',
        ]);

        // The customer reports those ids first, with their own token, one unit each.
        const planted = { events: next.map((id) => ({ id, type: 'inference', quantity: 1 })) };
        expect(counts((await report(c.token, planted)).body)).toEqual({
          accepted: 5,
          duplicate: 0,
          rejected: 0,
        });

        // The gateway's real calls, from the other replica, by the customer's user id this time.
        const real = {
          user_id: c.sub,
          events: next.map((id, i) => ({ id, type: i % 2 ? 'embedding' : 'inference', quantity: 100 + i })),
        };
        expect(counts((await report(replicaB, real)).body)).toEqual({
          accepted: 5,
          duplicate: 0,
          rejected: 0,
        });

        // Retries stay idempotent within each namespace, whichever replica or customer reference retries.
        const retried = { customer_email: c.email, events: real.events };
        expect(counts((await report(replicaA, retried)).body)).toEqual({
          accepted: 0,
          duplicate: 5,
          rejected: 0,
        });
        expect(counts((await report(replicaB, real)).body)).toEqual({
          accepted: 0,
          duplicate: 5,
          rejected: 0,
        });
        expect(counts((await report(c.token, planted)).body)).toEqual({
          accepted: 0,
          duplicate: 5,
          rejected: 0,
        });

        const gatewayUnits = 3 * 10 + [0, 1, 2, 3, 4].reduce((s, i) => s + 100 + i, 0);
        const total = gatewayUnits + 5;
        const em = db.orm.em.fork();
        const stored = await em.find(UsageEvent, { customer: c.customer.id });
        expect(stored).toHaveLength(3 + 5 + 5);
        expect(stored.filter((e) => e.reporter === 'gateway').reduce((s, e) => s + e.quantity, 0)).toBe(
          gatewayUnits,
        );
        // Counters (the quota and the usage view read them), the view and the records all count both.
        const counters = await em.find(DailyUsage, { customerId: c.customer.id });
        expect(counters.reduce((s, r) => s + r.quantity, 0)).toBe(total);
        const usage = await api.request('GET', '/api/v1/billing/usage', { token: c.token });
        expect(usage.body.credits.used).toBe(total);
        expect(usage.body.usage.today).toMatchObject({
          inference: 30 + 100 + 102 + 104 + 5,
          embedding: 101 + 103,
        });
        const records = (await api.request('GET', RECORDS, { token: c.token })).body.records as Rec[];
        for (const id of next)
          expect(
            records
              .filter((r) => r.event_id === id)
              .map((r) => r.reporter)
              .sort(),
          ).toEqual(['gateway', 'self']);
        // What the rollup hands Stripe's meter and Lago is every unit of both namespaces.
        expect(await rolledUp(c.customer.id)).toBe(total);
      },
    );

    it('keeps one id as two events when both reporters send it, and a repeat within a batch a duplicate', async () => {
      const c = await subscriber('professional');
      const svc = await gateway('a');
      expect(
        counts((await report(c.token, { events: [{ id: 'same', type: 'tts', quantity: 2 }] })).body),
      ).toEqual({
        accepted: 1,
        duplicate: 0,
        rejected: 0,
      });
      // One batch from the gateway: the id the customer used, twice; the second copy is the gateway's repeat.
      const twice = {
        customer_email: c.email,
        events: [
          { id: 'same', type: 'tts', quantity: 7 },
          { id: 'same', type: 'tts', quantity: 7 },
          { id: 'other', type: 'tts', quantity: 1 },
        ],
      };
      expect(counts((await report(svc, twice)).body)).toEqual({ accepted: 2, duplicate: 1, rejected: 0 });
      // And the other way round: the customer repeats, in one batch, an id the gateway has stored.
      const mine = {
        events: [
          { id: 'other', type: 'tts', quantity: 3 },
          { id: 'other', type: 'tts', quantity: 3 },
        ],
      };
      expect(counts((await report(c.token, mine)).body)).toEqual({ accepted: 1, duplicate: 1, rejected: 0 });
      const stored = await db.orm.em.fork().find(UsageEvent, { customer: c.customer.id });
      expect(stored.map((e) => `${e.reporter}:${e.eventId}:${e.quantity}`).sort()).toEqual([
        'gateway:other:1',
        'gateway:same:7',
        'self:other:3',
        'self:same:2',
      ]);
      const counters = await db.orm.em.fork().find(DailyUsage, { customerId: c.customer.id });
      expect(counters.reduce((s, r) => s + r.quantity, 0)).toBe(13);
    });

    it("refuses the gateway's event over a full daily quota even when the customer used its id: not a false duplicate", async () => {
      // The trial's cap is 100 a day; the customer fills it with the ids the gateway will send.
      const c = await subscriber('trial');
      const svc = await gateway('a');
      const ids = Array.from({ length: 100 }, (_, i) => `call-${i}`);
      const fill = { events: ids.map((id) => ({ id, type: 'inference', quantity: 1 })) };
      expect(counts((await report(c.token, fill)).body)).toEqual({
        accepted: 100,
        duplicate: 0,
        rejected: 0,
      });

      // Nothing of the gateway's was stored, so none of it is a duplicate: the gateway is told it was refused.
      const real = {
        customer_email: c.email,
        events: ids.slice(0, 3).map((id) => ({ id, type: 'inference', quantity: 1 })),
      };
      const refused = await report(svc, real);
      expect(refused.status).toBe(429);
      expect(counts(refused.body)).toEqual({ accepted: 0, duplicate: 0, rejected: 3 });
      // The customer's own retry over the cap is still a plain duplicate.
      expect(counts((await report(c.token, { events: fill.events.slice(0, 3) })).body)).toEqual({
        accepted: 0,
        duplicate: 3,
        rejected: 0,
      });
      expect(await db.orm.em.fork().count(UsageEvent, { customer: c.customer.id, reporter: 'gateway' })).toBe(
        0,
      );
    });

    it('gives a customer no way to report in the gateway namespace', async () => {
      const c = await subscriber('professional');
      const svc = await gateway('a');
      // A field naming the namespace is no part of the API: refused, not taken.
      const claims = await report(c.token, {
        events: [
          { id: 'claim-1', type: 'inference', quantity: 1, reporter: 'gateway' },
          { id: 'claim-2', type: 'inference', quantity: 1, customer_email: c.email },
          { id: 'claim-3', type: 'inference', quantity: 1, user_id: c.sub },
        ],
      });
      expect(counts(claims.body)).toEqual({ accepted: 2, duplicate: 0, rejected: 1 });
      // Naming themself as the gateway does still lands in their own namespace, whoever they are.
      for (const roles of [[], ['editor'], ['admin']]) {
        const person = await idp.token({ sub: c.sub, email: c.email, roles });
        const again = await report(person, { events: [{ id: 'claim-2', type: 'inference', quantity: 1 }] });
        expect([roles, counts(again.body)]).toEqual([roles, { accepted: 0, duplicate: 1, rejected: 0 }]);
      }
      const real = {
        customer_email: c.email,
        events: ['claim-1', 'claim-2', 'claim-3'].map((id) => ({ id, type: 'inference', quantity: 5 })),
      };
      expect(counts((await report(svc, real)).body)).toEqual({ accepted: 3, duplicate: 0, rejected: 0 });
    });
  },
);
