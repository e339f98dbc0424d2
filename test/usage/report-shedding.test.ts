import { request } from 'node:http';
import { DailyUsage, UsageEvent } from '../../db/entities';
import { requestsShed } from '../../telemetry/api-metrics';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { startTestApi } from '../helpers/api';
import { openTestDatabase } from '../helpers/db';
import { controlClock, seedSubscriber, type UsageApi } from './fixtures';

const DAY = 86_400_000;
const T0 = Date.parse('2026-03-10T10:00:00.000Z');
const REPORT = '/api/v1/billing/report_usage';
const REPORTS = 40;

async function shedCount(route: string): Promise<number> {
  const metric = await requestsShed.get();
  return metric.values.find((v) => v.labels.route === route)?.value ?? 0;
}

/**
 * Past USAGE_REPORTS_IN_FLIGHT_MAX reports in progress, report_usage answers 503 overloaded with Retry-After
 * before it reads the body: a shed report records nothing, and sent again it is counted once, so a gateway
 * that retries loses and double-counts nothing. Other routes take no ceiling.
 */
describe.each(['sqlite', 'postgresql'] as const)(
  'usage reports past the in-progress ceiling (%s)',
  (dialect) => {
    let db: Awaited<ReturnType<typeof openTestDatabase>>;
    let idp: TestIdp;
    let api: UsageApi;

    beforeAll(async () => {
      [db, idp] = await Promise.all([openTestDatabase(dialect), startTestIdp()]);
      api = await startTestApi({
        orm: db.orm,
        env: { OIDC_ISSUER: idp.issuer, OIDC_JWKS_URL: idp.jwksUrl, USAGE_REPORTS_IN_FLIGHT_MAX: '1' },
      });
      controlClock(db.orm, T0);
    });
    afterAll(async () => {
      await api?.stop();
      await Promise.all([db?.close(), idp?.stop()]);
    });

    it('sheds what comes past the ceiling, and every event sent again is counted once', async () => {
      const email = `shed-${dialect}@example.com`;
      const { customer, sub } = await seedSubscriber(db.orm, {
        email,
        plan: 'professional',
        periodStart: new Date(T0 - 5 * DAY),
      });
      const token = await idp.token({ sub, email });
      const report = (i: number) =>
        api.request('POST', REPORT, { token, body: { id: `shed-${i}`, type: 'inference', quantity: 1 } });
      const shedBefore = await shedCount(REPORT);

      const answers = await Promise.all(Array.from({ length: REPORTS }, (_, i) => report(i)));
      const shed = answers.flatMap((a, i) => (a.status === 503 ? [i] : []));
      expect(answers.every((a) => a.status === 200 || a.status === 503)).toBe(true);
      // Forty at once against a ceiling of one: the first is still at the database when the others arrive.
      expect(shed.length).toBeGreaterThan(0);
      for (const i of shed) {
        const a = answers[i]!;
        expect(a.headers.get('retry-after')).toBe('1');
        expect(a.body).toMatchObject({ error: { code: 'overloaded', details: { retry_after_seconds: 1 } } });
      }
      expect((await shedCount(REPORT)) - shedBefore).toBe(shed.length);
      const em = db.orm.em.fork();
      expect(await em.count(UsageEvent, { customer })).toBe(REPORTS - shed.length);

      // The gateway sends the shed ones again, one at a time as Retry-After asks, then all forty once more.
      for (const i of shed) expect((await report(i)).body).toMatchObject({ accepted: 1, duplicate: 0 });
      const again = await api.request('POST', REPORT, {
        token,
        body: {
          events: Array.from({ length: REPORTS }, (_, i) => ({
            id: `shed-${i}`,
            type: 'inference',
            quantity: 1,
          })),
        },
      });
      expect(again.body).toMatchObject({ accepted: 0, duplicate: REPORTS });
      expect(await em.fork().count(UsageEvent, { customer })).toBe(REPORTS);
      const counters = await em.fork().find(DailyUsage, { customerId: customer.id });
      expect(counters.reduce((n, c) => n + c.quantity, 0)).toBe(REPORTS);
    });

    it('frees its place when a report is refused, so the next one is taken', async () => {
      const email = `shed-refused-${dialect}@example.com`;
      const { sub } = await seedSubscriber(db.orm, {
        email,
        plan: 'professional',
        periodStart: new Date(T0 - DAY),
      });
      const token = await idp.token({ sub, email });
      const refused = [
        await api.request('POST', REPORT, { token, body: { id: 'bad', type: 'inference', quantity: -1 } }),
        // Malformed JSON, sent as is.
        await fetch(`${api.url}${REPORT}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: '{"id":',
        }),
        await api.request('POST', REPORT, { token, body: [1, 2, 3] }),
      ];
      expect(refused.map((a) => a.status)).not.toContain(503);
      const next = await api.request('POST', REPORT, {
        token,
        body: { id: 'good', type: 'inference', quantity: 1 },
      });
      expect({ status: next.status, accepted: next.body.accepted }).toEqual({ status: 200, accepted: 1 });
    });

    it('answers a report past a full ceiling before anything else runs for it, its token unchecked', async () => {
      const email = `shed-early-${dialect}@example.com`;
      const { customer, sub } = await seedSubscriber(db.orm, {
        email,
        plan: 'professional',
        periodStart: new Date(T0 - DAY),
      });
      const token = await idp.token({ sub, email });
      const url = new URL(`${api.url}${REPORT}`);
      // A report whose body is still arriving holds the only place.
      const body = JSON.stringify({ id: 'slow', type: 'inference', quantity: 1 });
      const slow = request({
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      });
      const slowAnswer = new Promise<{ status: number; text: string }>((resolve, reject) => {
        slow.on('response', (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        });
        slow.on('error', reject);
      });
      slow.write(body.slice(0, 5));
      const shedBefore = await shedCount(REPORT);
      // Wait until the slow one is in (its body read has begun), then come past the ceiling.
      let early: Response | null = null;
      for (let i = 0; i < 100 && early?.status !== 503; i++) {
        await new Promise((r) => setTimeout(r, 20));
        early = await fetch(url, {
          method: 'POST',
          headers: { authorization: 'Bearer not-a-token', 'content-type': 'application/json' },
          body: '{"id":"early","type":"inference","quantity":1}',
        });
      }
      // Not 401: nothing, not even the token, was looked at.
      expect(early?.status).toBe(503);
      expect(early?.headers.get('retry-after')).toBe('1');
      expect(early?.headers.get('content-type')).toMatch(/application\/json/);
      expect(await early?.json()).toEqual({
        error: {
          code: 'overloaded',
          message: expect.stringMatching(/nothing was recorded/),
          details: { retry_after_seconds: 1 },
        },
      });
      expect(await shedCount(REPORT)).toBeGreaterThan(shedBefore);
      slow.end(body.slice(5));
      expect(await slowAnswer).toMatchObject({ status: 200 });
      expect(await db.orm.em.fork().count(UsageEvent, { customer })).toBe(1);
      // The place is free again: the next report is taken.
      const next = await api.request('POST', REPORT, {
        token,
        body: { id: 'after', type: 'inference', quantity: 1 },
      });
      expect(next.status).toBe(200);
    });

    it('keeps no ceiling on check-access or usage reads', async () => {
      const email = `shed-reads-${dialect}@example.com`;
      const { sub } = await seedSubscriber(db.orm, {
        email,
        plan: 'professional',
        periodStart: new Date(T0 - DAY),
      });
      const token = await idp.token({ sub, email });
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          i % 2
            ? api.request('POST', '/api/v1/subscriptions/check-access/chat', { token })
            : api.request('GET', '/api/v1/billing/usage', { token }),
        ),
      );
      expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 20 }, () => 200));
    });
  },
);
