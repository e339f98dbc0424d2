import { request } from 'node:http';
import { textProblem } from '../../domain/text';
import { DailyUsage, UsageEvent } from '../../db/entities';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { openTestDatabase } from '../helpers/db';
import {
  controlClock,
  seedSubscriber,
  startUsageApi,
  storeCustomerKey,
  type UsageApi,
} from '../usage/fixtures';

const DAY = 86_400_000;
const T0 = Date.parse('2026-03-10T10:00:00.000Z');
const REPORT = '/api/v1/billing/report_usage';

/** Strings no field of the engine takes: each is refused with a 400 naming the field. */
const BAD_TEXT: Record<string, string> = {
  'a lone high surrogate': 's\ud800',
  'a lone low surrogate': '\udc00x',
  'a reversed surrogate pair': '\udc00\ud800',
  'a NUL byte': 'a\u0000b',
  'an escape character': 'x\u001b[31m',
  DEL: 'x\u007f',
  'a C1 control': 'x\u0085',
};

/** Percent-encodes each UTF-16 code unit as the three bytes a careless encoder writes for it. */
function cesu8(text: string): string {
  return [...Array(text.length).keys()]
    .map((i) => {
      const u = text.charCodeAt(i);
      if (u < 0x80) return encodeURIComponent(text[i] as string);
      if (u < 0x800) return encodeURIComponent(text[i] as string);
      const bytes = [0xe0 | (u >> 12), 0x80 | ((u >> 6) & 0x3f), 0x80 | (u & 0x3f)];
      return bytes.map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    })
    .join('');
}

/** fetch refuses TRACE; a plain HTTP request sends any method. */
function rawStatus(base: string, method: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe.each(['sqlite', 'postgresql'] as const)('hostile input at the edge (%s)', (dialect) => {
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
  async function subscriber(plan = 'professional') {
    const email = `hostile-${dialect}-${++n}@example.com`;
    const { customer } = await seedSubscriber(db.orm, { email, plan, periodStart: new Date(T0 - 5 * DAY) });
    const token = await idp.token({ sub: `kc-${email}`, email });
    return { customer, token };
  }

  /** What the ledger holds for a customer: stored events, counted units and the daily counters. */
  async function ledger(customerId: string) {
    const em = db.orm.em.fork();
    const events = await em.find(UsageEvent, { customer: customerId });
    const counters = await em.find(DailyUsage, { customerId });
    return {
      events: events.length,
      counted: events.filter((e) => !e.byok).reduce((s, e) => s + e.quantity, 0),
      counters: counters.reduce((s, c) => s + c.quantity, 0),
    };
  }

  it('refuses an event id with a lone surrogate, however often it is sent, and stores nothing', async () => {
    const { customer, token } = await subscriber();
    for (let i = 0; i < 3; i++) {
      const res = await api.request('POST', REPORT, {
        token,
        body: { id: 's\ud800', type: 'inference', quantity: 1000 },
      });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({
        code: 'validation_failed',
        details: { field: 'body.id', reason: 'malformed_unicode' },
      });
    }
    expect(await ledger(customer.id)).toEqual({ events: 0, counted: 0, counters: 0 });
  });

  it.each(Object.entries(BAD_TEXT))(
    'rejects by index an event whose id, type, metadata key or value holds %s, keeping the good ones',
    async (_name, bad) => {
      const { customer, token } = await subscriber();
      const events = [
        { id: `ok-1`, type: 'inference', quantity: 2 },
        { id: bad, type: 'inference', quantity: 5 },
        { id: 'meta-value', type: 'inference', quantity: 5, metadata: { model: bad } },
        { id: 'meta-key', type: 'inference', quantity: 5, metadata: { [bad]: 1 } },
        { id: 'nested', type: 'inference', quantity: 5, metadata: { a: { b: [bad] } } },
        { id: 'ok-2', type: 'inference', quantity: 3 },
      ];
      const res = await api.request('POST', REPORT, { token, body: { events } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ accepted: 2, duplicate: 0, rejected: 4 });
      expect(res.body.rejected_events.map((r: { index: number; reason: string }) => r.index)).toEqual([
        1, 2, 3, 4,
      ]);
      for (const r of res.body.rejected_events) expect(r.reason).toBe('invalid');
      // The answer equals what was stored.
      expect(await ledger(customer.id)).toEqual({ events: 2, counted: 5, counters: 5 });
    },
  );

  it.each(Object.entries(BAD_TEXT))(
    'answers 400 naming the field for %s in a query string, a path parameter and a JSON body',
    async (_name, bad) => {
      const admin = await idp.token({ email: 'hostile-admin@example.com', roles: ['admin'] });
      const { token } = await subscriber();
      // A lone surrogate cannot be percent-encoded as UTF-8; its CESU-8 bytes are what a client sends.
      const malformed = textProblem(bad, { kind: 'free' }) === 'malformed_unicode';
      const q = malformed ? cesu8(bad) : encodeURIComponent(bad);
      // Bytes that are not UTF-8 are refused before the router names a parameter.
      const named = (field: string) => (malformed && field.startsWith('params.') ? 'path' : field);
      const cases: [string, string, unknown, string][] = [
        ['GET', `/api/v1/admin/audit-log?entity_id=${q}`, undefined, 'query.entity_id'],
        ['GET', `/api/v1/admin/billing/customers?email=${q}`, undefined, 'query.email'],
        ['GET', `/api/v1/billing/usage_records?cursor=${q}`, undefined, 'query.cursor'],
        ['GET', `/api/v1/subscriptions/plans/${q}`, undefined, 'params.plan_id'],
        ['GET', `/api/v1/admin/subscriptions/${q}`, undefined, 'params.email'],
        ['POST', '/api/v1/stripe/create_customer', { name: `Ö${bad}` }, 'body.name'],
        ['POST', '/api/v1/admin/usage-types', { code: 'x', description: bad }, 'body.description'],
      ];
      for (const [method, path, body, field] of cases) {
        const res = await api.request(method, path, {
          token: path.includes('/admin/') ? admin : token,
          body,
        });
        expect({ path, status: res.status, field: res.body?.error?.details?.field }).toEqual({
          path,
          status: 400,
          field: named(field),
        });
      }
    },
  );

  it('answers 400 to percent-encoding that is not UTF-8, in a query string and a path', async () => {
    const admin = await idp.token({ email: 'hostile-admin@example.com', roles: ['admin'] });
    for (const enc of ['%FF', '%E0%A4%A', '%', '%C0%80', '%ED%A0%80']) {
      for (const path of [
        `/api/v1/admin/audit-log?entity_id=${enc}`,
        `/api/v1/admin/audit-log?${enc}=1`,
        `/api/v1/admin/subscriptions/a${enc}b`,
      ]) {
        const res = await api.request('GET', path, { token: admin });
        expect({ path, status: res.status, code: res.body?.error?.code }).toEqual({
          path,
          status: 400,
          code: 'validation_failed',
        });
      }
    }
  });

  it('takes an id typed as one code point or as a letter and a combining accent as the same event', async () => {
    const { customer, token } = await subscriber();
    const composed = await api.request('POST', REPORT, {
      token,
      body: { id: 'caf\u00e9', type: 'inference', quantity: 1 },
    });
    expect(composed.body).toMatchObject({ accepted: 1, duplicate: 0 });
    const decomposed = await api.request('POST', REPORT, {
      token,
      body: { id: 'cafe\u0301', type: 'inference', quantity: 1 },
    });
    expect(decomposed.body).toMatchObject({ accepted: 0, duplicate: 1 });
    expect(await ledger(customer.id)).toEqual({ events: 1, counted: 1, counters: 1 });
  });

  it('refuses an id with a tab or a line break, which a free-text field would keep', async () => {
    const { token } = await subscriber();
    for (const id of ['a\tb', 'a\nb', 'a\u2028b']) {
      const res = await api.request('POST', REPORT, { token, body: { id, type: 'inference', quantity: 1 } });
      expect(res.status).toBe(400);
      expect(res.body.error.details.field).toBe('body.id');
    }
  });

  it('refuses quantities past the per-event and per-request maximums, storing nothing', async () => {
    const { customer, token } = await subscriber('enterprise');
    for (const quantity of [1_000_001, 1e9, 2 ** 53, 1.5, -1, 0]) {
      const res = await api.request('POST', REPORT, {
        token,
        body: { id: `q-${quantity}`, type: 'inference', quantity },
      });
      expect({ quantity, status: res.status }).toEqual({ quantity, status: 400 });
    }
    const big = Array.from({ length: 11 }, (_, i) => ({
      id: `big-${i}`,
      type: 'inference',
      quantity: 1_000_000,
    }));
    const batch = await api.request('POST', REPORT, { token, body: { events: big } });
    expect(batch.status).toBe(400);
    expect(batch.body.error.details.field).toBe('body.events');
    expect(await ledger(customer.id)).toEqual({ events: 0, counted: 0, counters: 0 });
  });

  it('never lets one event or a backdated event step over the daily cap', async () => {
    const { customer, token } = await subscriber('trial');
    const over = await api.request('POST', REPORT, {
      token,
      body: { id: 'cap-1', type: 'inference', quantity: 101 },
    });
    expect(over.status).toBe(429);
    const yesterday = new Date(T0 - 12 * 3_600_000).toISOString();
    const res = await api.request('POST', REPORT, {
      token,
      body: {
        events: [
          { id: 'y-1', type: 'inference', quantity: 60, timestamp: yesterday },
          { id: 'y-2', type: 'inference', quantity: 60, timestamp: yesterday },
          { id: 't-1', type: 'inference', quantity: 100 },
        ],
      },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ accepted: 2, rejected: 1 });
    expect(res.body.rejected_events[0]).toMatchObject({ index: 1, reason: 'daily_quota_exceeded' });
    expect(await ledger(customer.id)).toEqual({ events: 2, counted: 160, counters: 160 });
  });

  it('refuses byok usage on a plan without BYOK, or without a stored key, and bills it otherwise', async () => {
    const starter = await subscriber('starter');
    const noPlan = await api.request('POST', REPORT, {
      token: starter.token,
      body: { id: 'b-1', type: 'inference', quantity: 10, byok: true },
    });
    expect(noPlan.body.rejected_events[0]).toMatchObject({ reason: 'byok_not_in_plan' });
    const pro = await subscriber('professional');
    const noKey = await api.request('POST', REPORT, {
      token: pro.token,
      body: {
        events: [
          { id: 'b-2', type: 'inference', quantity: 10, byok: true },
          { id: 'b-3', type: 'inference', quantity: 10, metadata: { byok: true, provider: 'openai' } },
        ],
      },
    });
    expect(noKey.body).toMatchObject({ accepted: 0, rejected: 2 });
    expect(noKey.body.rejected_events.map((r: { reason: string }) => r.reason)).toEqual([
      'byok_key_not_stored',
      'byok_key_not_stored',
    ]);
    expect(await ledger(pro.customer.id)).toEqual({ events: 0, counted: 0, counters: 0 });
    expect(await ledger(starter.customer.id)).toEqual({ events: 0, counted: 0, counters: 0 });

    await storeCustomerKey(db.orm, pro.customer, 'openai');
    const withKey = await api.request('POST', REPORT, {
      token: pro.token,
      body: {
        events: [
          { id: 'b-4', type: 'inference', quantity: 10, byok: true, metadata: { provider: 'openai' } },
          { id: 'b-5', type: 'inference', quantity: 10, byok: true, metadata: { provider: 'anthropic' } },
        ],
      },
    });
    expect(withKey.body).toMatchObject({ accepted: 1, rejected: 1 });
    expect(withKey.body.rejected_events[0]).toMatchObject({ index: 1, reason: 'byok_key_not_stored' });
    // Stored, but neither counted nor billed.
    expect(await ledger(pro.customer.id)).toEqual({ events: 1, counted: 0, counters: 0 });
  });

  it('refuses objects nested thousands deep with a 400, in metadata and in any body', async () => {
    const { token } = await subscriber();
    const deep = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
    const post = (path: string, text: string) =>
      fetch(`${api.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: text,
      });
    const oneRes = await post(REPORT, `{"id":"deep","type":"inference","quantity":1,"metadata":${deep}}`);
    const one = {
      status: oneRes.status,
      body: (await oneRes.json()) as { error: { details: { reason: string } } },
    };
    expect(one.status).toBe(400);
    expect(one.body.error.details.reason).toBe('too_deep');
    for (const text of [
      `{"name":${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
      `{"name":"x","x":${deep}}`,
    ]) {
      const res = await post('/api/v1/stripe/create_customer', text);
      expect(res.status).toBe(400);
    }
  });

  it('answers 415 naming the expected type when the body is not JSON, and 400 when it is not UTF-8', async () => {
    const { token } = await subscriber();
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const res = await fetch(`${api.url}${REPORT}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': type },
        body: 'id=1&type=inference&quantity=1',
      });
      expect(res.status).toBe(415);
      const body = (await res.json()) as { error: { code: string; details: { expected: string } } };
      expect(body.error).toMatchObject({
        code: 'unsupported_media_type',
        details: { expected: 'application/json' },
      });
    }
    const latin1 = Buffer.concat([
      Buffer.from('{"id":"caf'),
      Buffer.from([0xe9]),
      Buffer.from('","type":"inference","quantity":1}'),
    ]);
    const res = await fetch(`${api.url}${REPORT}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: latin1,
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_json');
  });

  it('refuses plan prices and counts past what Stripe or the database can hold, with 400 naming the field', async () => {
    const admin = await idp.token({ email: 'hostile-admin@example.com', roles: ['admin'] });
    const plan = { id: `huge-${dialect}`, display_name: 'Huge', price_monthly_cents: 100 };
    const cases: [Record<string, unknown>, string][] = [
      [{ price_monthly_cents: 1e300 }, 'body.price_monthly_cents'],
      [{ price_monthly_cents: 2 ** 53 + 2 }, 'body.price_monthly_cents'],
      [{ price_monthly: '9'.repeat(400) }, 'body.price_monthly'],
      [{ price_monthly: 1e21 }, 'body.price_monthly'],
      [{ price_monthly: '1000000.00' }, 'body.price_monthly'],
      [{ overage_price_per_1k_cents: 100_000_000 }, 'body.overage_price_per_1k_cents'],
      [{ included_credits: 1e15 }, 'body.included_credits'],
      [{ daily_api_calls: 2 ** 40 }, 'body.daily_api_calls'],
    ];
    for (const [extra, field] of cases) {
      const res = await api.request('POST', '/api/v1/subscriptions/plans', {
        token: admin,
        body: { ...plan, ...extra },
      });
      expect({ extra, status: res.status, field: res.body?.error?.details?.field }).toEqual({
        extra,
        status: 400,
        field,
      });
    }
  });

  it('answers TRACE and other unserved methods with 405', async () => {
    for (const method of ['TRACE', 'PROPFIND', 'OPTIONS']) {
      const status = await rawStatus(api.url, method, '/api/v1/subscriptions/plans');
      expect({ method, status }).toEqual({ method, status: method === 'OPTIONS' ? 200 : 405 });
    }
  });
});
