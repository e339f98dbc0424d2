import { DailyUsage, UsageEvent } from '../../db/entities';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { openTestDatabase } from '../helpers/db';
import { seedSubscriber, startUsageApi, type UsageApi } from './fixtures';

const DAY = 86_400_000;
const REPORT = '/api/v1/billing/report_usage';
const REPORTERS = 32;
const CAP = 100; // the trial plan's daily calls

describe.each(['sqlite', 'postgresql'] as const)(
  'the daily cap under concurrent reporters (%s)',
  (dialect) => {
    let db: Awaited<ReturnType<typeof openTestDatabase>>;
    let idp: TestIdp;
    let api: UsageApi;
    beforeAll(async () => {
      [db, idp] = await Promise.all([openTestDatabase(dialect), startTestIdp()]);
      api = await startUsageApi(db.orm, idp);
    });
    afterAll(async () => {
      await api?.stop();
      await Promise.all([db?.close(), idp?.stop()]);
    });

    it.each([1, 2, 3])(
      'never stores more than the cap when %i types are reported by 32 reporters at once',
      async (typeCount) => {
        const email = `race-${dialect}-${typeCount}@example.com`;
        const { customer } = await seedSubscriber(db.orm, {
          email,
          plan: 'trial',
          status: 'trialing',
          periodStart: new Date(Date.now() - DAY),
        });
        const token = await idp.token({ sub: `kc-${email}`, email });
        const types = ['inference', 'embedding', 'tts'].slice(0, typeCount);
        let accepted = 0;
        let acceptedUnits = 0;
        const reporter = async (r: number) => {
          for (let n = 0; ; n++) {
            const quantity = 1 + ((r + n) % 3);
            const res = await api.request('POST', REPORT, {
              token,
              body: { id: `r${r}-${n}`, type: types[(r + n) % types.length], quantity },
            });
            if (res.status === 429) return;
            expect(res.status).toBe(200);
            if (res.body.accepted === 1) {
              accepted++;
              acceptedUnits += quantity;
            } else if (res.body.rejected_events?.[0]?.reason === 'daily_quota_exceeded') return;
          }
        };
        await Promise.all(Array.from({ length: REPORTERS }, (_, r) => reporter(r)));

        const em = db.orm.em.fork();
        const stored = await em.find(UsageEvent, { customer: customer.id });
        const units = stored.reduce((s, e) => s + e.quantity, 0);
        const counters = (await em.find(DailyUsage, { customerId: customer.id })).reduce(
          (s, c) => s + c.quantity,
          0,
        );
        expect(units).toBeLessThanOrEqual(CAP);
        // What the answers accepted is exactly what is stored and counted.
        expect({ events: stored.length, units, counters }).toEqual({
          events: accepted,
          units: acceptedUnits,
          counters: acceptedUnits,
        });
        // The reporters got close to the cap before being refused (it is a cap, not a lottery).
        expect(units).toBeGreaterThan(CAP - 3);
      },
      60_000,
    );
  },
);
