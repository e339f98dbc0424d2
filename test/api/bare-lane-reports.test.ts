import fc from 'fast-check';
import { GATEWAY_ROLE } from '../../domain/roles';
import { bareLaneRequests, httpRequestsInFlight } from '../../telemetry/api-metrics';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { openTestDatabase } from '../helpers/db';
import { startTestApi, type TestApi } from '../helpers/api';
import { comparable, sendCounted, type Sent } from '../helpers/koa-alone';
import { seedSubscriber } from '../usage/fixtures';

type Db = Awaited<ReturnType<typeof openTestDatabase>>;

/**
 * A usage report is answered beside Koa's chain once the lane has read its body, whatever happens then. A
 * report changes what is stored, so the lane and Koa alone each take the same requests in the same order on
 * a database of their own, seeded alike: every answer (status, headers, body, the request id, the route the
 * request metrics count) must be Koa alone's, and so must what each database holds at the end.
 */
describe('the bare lane takes usage reports as Koa does', () => {
  let idp: TestIdp;
  let dbs: [Db, Db];
  let lane: TestApi;
  let koa: TestApi;
  const tokens: Record<string, string> = {};
  const REPORT = '/api/v1/billing/report_usage';

  beforeAll(async () => {
    idp = await startTestIdp();
    dbs = await Promise.all([openTestDatabase('sqlite'), openTestDatabase('sqlite')]);
    const env = { OIDC_ISSUER: idp.issuer, OIDC_JWKS_URL: idp.jwksUrl };
    [lane, koa] = await Promise.all([
      startTestApi({ orm: dbs[0].orm, env }),
      startTestApi({ orm: dbs[1].orm, env, koaAlone: true }),
    ]);
    const periodStart = new Date(Date.now() - 86_400_000);
    for (const db of dbs) {
      await seedSubscriber(db.orm, { email: 'pro@lane.example', plan: 'professional', periodStart });
      // A trial's daily limit (100 calls) is soon reached: refusals with Retry-After follow.
      await seedSubscriber(db.orm, {
        email: 'trial@lane.example',
        plan: 'trial',
        status: 'trialing',
        periodStart,
      });
    }
    tokens.gateway = await idp.token({
      sub: 'svc-ai-gateway',
      extra: { preferred_username: 'service-account-ai-gateway', azp: 'ai-gateway' },
      clientRoles: { 'billing-engine': [GATEWAY_ROLE] },
    });
    tokens.pro = await idp.token({ sub: 'kc-pro@lane.example', email: 'pro@lane.example' });
    tokens.trial = await idp.token({ sub: 'kc-trial@lane.example', email: 'trial@lane.example' });
    tokens.stranger = await idp.token({ sub: 'kc-nobody@lane.example', email: 'nobody@lane.example' });
    tokens.admin = await idp.token({ email: 'boss@lane.example', roles: ['admin'] });
    tokens.expired = await idp.token({ email: 'pro@lane.example', expiresIn: '-60s' });
  });
  afterAll(async () => {
    await Promise.all([lane?.stop(), koa?.stop()]);
    await Promise.all([...(dbs ?? []).map((db) => db.close()), idp?.stop()]);
  });

  const bothWays = async (sent: Sent) => ({
    bare: await sendCounted(lane.url, sent),
    koa: await sendCounted(koa.koaUrl as string, sent),
  });

  const laneCount = async (outcome: 'served' | 'handed_on') =>
    (await bareLaneRequests.get()).values.find((v) => v.labels.outcome === outcome)?.value ?? 0;

  // A few ids, so that repeats (duplicates) come up often; a few customers, one soon at its daily limit.
  const eventId = fc.constantFrom('e-1', 'e-2', 'e-3', 'e-4', 'e-\u00e9', 'e-e\u0301');
  const customer = fc.option(
    fc.constantFrom('pro@lane.example', 'TRIAL@lane.example', 'trial@lane.example', 'nobody@lane.example'),
    { nil: undefined },
  );
  const goodEvent = fc.record(
    {
      id: eventId,
      type: fc.constant('inference'),
      quantity: fc.integer({ min: 1, max: 40 }),
      customer_email: customer,
      subject: fc.constant('proj-1'),
    },
    { requiredKeys: ['id', 'type', 'quantity'] },
  );
  const badEvent = fc.record(
    {
      id: eventId,
      type: fc.constantFrom('inference', 'no-such-type', 'Inference'),
      quantity: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constantFrom(0, -1, 1.5, 1e309, 2 ** 53)),
      customer_email: customer,
      subject: fc.constantFrom('proj-1', '\u0000', 'x'.repeat(300)),
      extra: fc.constant(true),
    },
    { requiredKeys: ['id', 'type', 'quantity'] },
  );
  const event = fc.oneof({ weight: 3, arbitrary: goodEvent }, { weight: 1, arbitrary: badEvent });
  const json = (v: unknown) => JSON.stringify(v);
  const body = fc.oneof(
    { weight: 4, arbitrary: event.map(json) },
    {
      weight: 3,
      arbitrary: fc
        .record({ events: fc.array(event, { minLength: 1, maxLength: 4 }), customer_email: customer })
        .map(json),
    },
    { weight: 1, arbitrary: fc.integer({ min: -1, max: 30 }).map((quantity) => json({ quantity })) },
    {
      weight: 2,
      arbitrary: fc.constantFrom<string | Buffer>(
        '',
        '{',
        'null',
        '[]',
        '"x"',
        '{}',
        '{"events":[]}',
        '{"events":{}}',
        '{"__proto__":{"quantity":1},"id":"p","type":"inference","quantity":1}',
        '{"id":"e-1","id":"e-2","type":"inference","quantity":1}',
        '{"id":"\\ud800","type":"inference","quantity":1}',
        `${'['.repeat(20_000)}${']'.repeat(20_000)}`,
        Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]),
        Buffer.from('\ufeff{"id":"bom","type":"inference","quantity":1}'),
      ),
    },
  );
  type Generated = typeof hostile extends fc.Arbitrary<infer T> ? T : never;
  const hostile = fc.record({
    auth: fc.constantFrom(
      'gateway',
      'gateway',
      'pro',
      'trial',
      'stranger',
      'admin',
      'expired',
      'none',
      'garbage',
    ),
    type: fc.constantFrom(
      'application/json',
      'application/json',
      'application/json; charset=utf-8',
      'application/JSON',
      'Application/Json;charset=UTF-8',
      'application/json; charset="utf-8"',
      'application/json ; charset=utf-8',
      'application/json; charset=utf-8; x=y',
      'application/json; charset = utf-8',
      'application/json; charset=latin1',
      'text/plain',
      'none',
    ),
    framing: fc.constantFrom('length', 'length', 'length', 'chunked'),
    query: fc.constantFrom('', '', '?x=1', '?%ZZ', '?a=%00'),
    path: fc.constantFrom(REPORT, REPORT, REPORT, `${REPORT}/`, '/api/v1/billing/Report_Usage'),
    requestId: fc.option(fc.constantFrom('gw-1', 'has space'), { nil: undefined }),
    body,
  });

  // Reports as a gateway or a person sends them, so the lane serves many: its answers, refusals included.
  const wellFormed = fc.record({
    auth: fc.constantFrom('gateway', 'gateway', 'pro', 'trial', 'stranger'),
    type: fc.constant('application/json'),
    framing: fc.constant('length'),
    query: fc.constant(''),
    path: fc.constant(REPORT),
    requestId: fc.constant(undefined),
    body,
  });
  const request = fc.oneof(hostile, wellFormed);

  function toSent(r: Generated): Sent {
    const headers: Record<string, string> = {};
    if (r.auth === 'garbage') headers.authorization = 'Bearer not.a.token';
    else if (r.auth !== 'none') headers.authorization = `Bearer ${tokens[r.auth]}`;
    if (r.type !== 'none') headers['content-type'] = r.type;
    if (r.framing === 'chunked') headers['transfer-encoding'] = 'chunked';
    else headers['content-length'] = String(Buffer.byteLength(r.body));
    if (r.requestId !== undefined) headers['x-request-id'] = r.requestId;
    return { method: 'POST', path: `${r.path}${r.query}`, headers, body: r.body };
  }

  type Compared = ReturnType<typeof comparable>;
  const secondsToWait = (c: Compared) => Number(c.rest['retry-after'] ?? 0);
  const withoutSeconds = (c: Compared): Compared => {
    if (c.rest['retry-after'] === undefined) return c;
    const body = JSON.parse(JSON.stringify(c.body), (key, value: unknown) =>
      key === 'retry_after_seconds' ? '<seconds>' : value,
    ) as unknown;
    return { ...c, rest: { ...c.rest, 'retry-after': '<seconds>' }, body };
  };

  it('serves JSON in the spellings clients send itself, and leaves any other media type or charset to Koa', async () => {
    // Sent to both, as every request of this suite, so the two databases stay alike.
    const send = async (type: string, i: number) => {
      const body = json({ id: `spelling-${i}`, type: 'inference', quantity: 1 });
      const served = await laneCount('served');
      const { bare, koa: alone } = await bothWays({
        method: 'POST',
        path: REPORT,
        headers: {
          authorization: `Bearer ${tokens.pro}`,
          'content-type': type,
          'content-length': String(Buffer.byteLength(body)),
        },
        body,
      });
      expect(comparable(bare, undefined)).toEqual(comparable(alone, undefined));
      return { type, status: bare.status, served: (await laneCount('served')) - served };
    };
    const taken = ['application/json', 'Application/Json;charset=UTF-8', 'application/json; charset="utf-8"'];
    for (const [i, type] of taken.entries())
      expect(await send(type, i)).toEqual({ type, status: 200, served: 1 });
    // Koa reads the first two as JSON too (a charset is not honoured); the lane keeps to the plain spellings.
    const others = ['application/json; charset=latin1', 'application/json; charset=utf-8; x=y', 'text/plain'];
    for (const [i, type] of others.entries())
      expect(await send(type, 10 + i)).toMatchObject({ type, served: 0 });
  });

  it('answers every report, well-formed or hostile, as Koa alone does, and stores the same', async () => {
    const served = await laneCount('served');
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const sent = toSent(r);
        const { bare, koa: alone } = await bothWays(sent);
        const id = sent.headers['x-request-id'];
        const [a, b] = [comparable(bare, id), comparable(alone, id)];
        // The seconds to midnight are counted when each answer is made, which may be a second apart.
        expect(Math.abs(secondsToWait(a) - secondsToWait(b))).toBeLessThanOrEqual(1);
        expect(withoutSeconds(a)).toEqual(withoutSeconds(b));
        statuses.add(bare.status);
      }),
      { numRuns: 300 },
    );
    // Taken, refused by a schema, by the daily limit (Retry-After), for want of a customer, by Koa.
    expect([...statuses].sort()).toEqual(expect.arrayContaining([200, 400, 401, 404, 415, 429]));
    // The lane served most of them itself, refusals after the body was read included.
    expect((await laneCount('served')) - served).toBeGreaterThan(100);
    expect((await httpRequestsInFlight.get()).values[0]?.value).toBe(0);
    const stored = (db: Db) =>
      db.orm.em
        .fork()
        .getConnection()
        .execute(
          'select c.email, e.event_id, e.reporter, e.type, e.quantity, e.subject from usage_events e ' +
            'join customers c on c.id = e.customer_id',
        );
    // An event of the older form, which has no id, is stored under one the engine makes.
    const rows = async (db: Db) =>
      (await stored(db))
        .map((row: Record<string, unknown>) =>
          JSON.stringify({ ...row, event_id: String(row.event_id).replace(/^uevt_.*/, '<made>') }),
        )
        .sort();
    const [byLane, byKoa] = await Promise.all(dbs.map(rows));
    expect(byLane.length).toBeGreaterThan(0);
    expect(byLane).toEqual(byKoa);
  });
});

describe('the bare lane and the in-flight ceiling on reports', () => {
  let idp: TestIdp;
  let db: Db;
  let api: TestApi;

  beforeAll(async () => {
    [idp, db] = await Promise.all([startTestIdp(), openTestDatabase('sqlite')]);
    api = await startTestApi({
      orm: db.orm,
      env: { OIDC_ISSUER: idp.issuer, OIDC_JWKS_URL: idp.jwksUrl, USAGE_REPORTS_IN_FLIGHT_MAX: '1' },
    });
    await seedSubscriber(db.orm, {
      email: 'busy@lane.example',
      plan: 'professional',
      periodStart: new Date(Date.now() - 86_400_000),
    });
  });
  afterAll(async () => {
    await api?.stop();
    await Promise.all([db?.close(), idp?.stop()]);
  });

  it('refuses past the ceiling with 503 and Retry-After, and stores exactly the reports it took', async () => {
    const token = await idp.token({ sub: 'kc-busy@lane.example', email: 'busy@lane.example' });
    const answers = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        api.request('POST', '/api/v1/billing/report_usage', {
          token,
          body: { id: `burst-${i}`, type: 'inference', quantity: 1 },
        }),
      ),
    );
    const taken = answers.filter((a) => a.status === 200);
    const shed = answers.filter((a) => a.status === 503);
    expect(taken.length + shed.length).toBe(24);
    expect(taken.length).toBeGreaterThan(0);
    expect(shed.length).toBeGreaterThan(0);
    for (const a of shed) {
      expect(a.headers.get('retry-after')).toBe('1');
      expect(a.body.error.code).toBe('overloaded');
    }
    const [{ n }] = await db.orm.em
      .fork()
      .getConnection()
      .execute("select count(*) as n from usage_events where event_id like 'burst-%'");
    expect(Number(n)).toBe(taken.length);
    // The ceiling is left as often as it is entered: one more report is taken.
    const after = await api.request('POST', '/api/v1/billing/report_usage', {
      token,
      body: { id: 'after-burst', type: 'inference', quantity: 1 },
    });
    expect(after.status).toBe(200);
  });
});
