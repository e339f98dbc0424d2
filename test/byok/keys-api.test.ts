import { randomBytes } from 'node:crypto';
import { AuditEntry, Customer, ProviderKey, UsageEvent } from '../../db/entities';
import { newId } from '../../db/ids';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { startByokTestApi } from '../helpers/byok-app';
import type { TestApi } from '../helpers/api';
import { openTestDatabase } from '../helpers/db';

const openaiKey = () => `sk-proj-${randomBytes(20).toString('hex')}`;
const anthropicKey = () => `sk-ant-api03-${randomBytes(20).toString('hex')}`;

describe('BYOK keys through the API', () => {
  let idp: TestIdp;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let api: TestApi;
  let n = 0;

  /** A fresh signed-in user per test, so no test sees another's keys. */
  async function user() {
    const email = `byok-${++n}-${Date.now()}@example.com`;
    return { email, token: await idp.token({ email, roles: ['viewer'] }) };
  }
  const add = (token: string, body: unknown) => api.request('POST', '/api/v1/byok/keys/add', { token, body });

  beforeAll(async () => {
    [idp, db] = await Promise.all([startTestIdp(), openTestDatabase('sqlite')]);
    api = await startByokTestApi({
      orm: db.orm,
      env: { OIDC_ISSUER: idp.issuer, OIDC_JWKS_URL: idp.jwksUrl },
    });
  });
  afterAll(async () => {
    await api.stop();
    await Promise.all([idp.stop(), db.close()]);
  });

  it('needs a signed-in user on every BYOK route', async () => {
    for (const [method, path] of [
      ['GET', '/api/v1/byok/providers'],
      ['GET', '/api/v1/byok/keys'],
      ['POST', '/api/v1/byok/keys/add'],
      ['DELETE', '/api/v1/byok/keys/openai'],
      ['POST', '/api/v1/byok/keys/test/openai'],
      ['GET', '/api/v1/byok/stats'],
    ] as const) {
      const res = await api.request(method, path);
      expect([method, path, res.status]).toEqual([method, path, 401]);
    }
  });

  it('lists the eight providers with their key formats, and which ones the caller has stored', async () => {
    const { token } = await user();
    const before = await api.request('GET', '/api/v1/byok/providers', { token });
    expect(before.status).toBe(200);
    expect(before.body.map((p: { id: string }) => p.id)).toEqual([
      'openai',
      'anthropic',
      'huggingface',
      'google',
      'cohere',
      'groq',
      'mistral',
      'openrouter',
    ]);
    expect(before.body.find((p: { id: string }) => p.id === 'anthropic')).toMatchObject({
      name: 'Anthropic',
      key_format: 'sk-ant-…',
      configured: false,
    });
    expect((await add(token, { provider: 'anthropic', api_key: anthropicKey() })).status).toBe(200);
    const after = await api.request('GET', '/api/v1/byok/providers', { token });
    expect(
      after.body.filter((p: { configured: boolean }) => p.configured).map((p: { id: string }) => p.id),
    ).toEqual(['anthropic']);
  });

  it('stores a key for a user with no customer yet and lists it by hint only, never the key', async () => {
    const { token, email } = await user();
    expect((await api.request('GET', '/api/v1/byok/keys', { token })).body).toEqual([]);
    const key = openaiKey();
    const res = await add(token, { provider: 'openai', api_key: key, label: 'work' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ provider: 'openai', key_hint: `…${key.slice(-4)}`, replaced: false });

    const list = await api.request('GET', '/api/v1/byok/keys', { token });
    expect(list.body).toEqual([
      {
        provider: 'openai',
        provider_name: 'OpenAI',
        key_hint: `…${key.slice(-4)}`,
        created_at: expect.any(String),
        updated_at: expect.any(String),
        last_tested_at: null,
        last_test_result: null,
      },
    ]);
    for (const body of [res.body, list.body]) {
      expect(JSON.stringify(body)).not.toContain(key);
      expect(JSON.stringify(body)).not.toContain(key.slice(0, 16));
    }
    const em = db.orm.em.fork();
    const customer = await em.findOneOrFail(Customer, { email });
    const row = await em.findOneOrFail(ProviderKey, { customer });
    expect(row.ciphertext).not.toContain(key);
    expect(row.keyHint).toBe(key.slice(-4));
  });

  it('replaces the key on a second add and records the replacement in the audit log without the key', async () => {
    const { token, email } = await user();
    const first = openaiKey();
    const second = openaiKey();
    await add(token, { provider: 'openai', api_key: first });
    const res = await add(token, { provider: 'openai', api_key: second });
    expect(res.body).toMatchObject({ replaced: true, key_hint: `…${second.slice(-4)}` });

    const em = db.orm.em.fork();
    const customer = await em.findOneOrFail(Customer, { email });
    const rows = await em.find(ProviderKey, { customer });
    expect(rows).toHaveLength(1);
    const entries = await em.find(AuditEntry, { entityId: rows[0]!.id }, { orderBy: { id: 'asc' } });
    expect(entries.map((e) => e.action)).toEqual(['byok.key_added', 'byok.key_replaced']);
    expect(entries[1]).toMatchObject({
      actorEmail: email,
      entityType: 'provider_key',
      before: expect.objectContaining({ provider: 'openai', key_hint: first.slice(-4) }),
      after: expect.objectContaining({ provider: 'openai', key_hint: second.slice(-4) }),
    });
    const written = JSON.stringify(entries);
    expect(written).not.toContain(first);
    expect(written).not.toContain(second);
  });

  it("keeps users apart: B neither sees, tests nor deletes A's key", async () => {
    const a = await user();
    const b = await user();
    const key = openaiKey();
    await add(a.token, { provider: 'openai', api_key: key });

    expect((await api.request('GET', '/api/v1/byok/keys', { token: b.token })).body).toEqual([]);
    const del = await api.request('DELETE', '/api/v1/byok/keys/openai', { token: b.token });
    expect(del.status).toBe(404);
    expect(del.body.error.code).toBe('provider_key_not_found');
    expect((await api.request('POST', '/api/v1/byok/keys/test/openai', { token: b.token })).status).toBe(404);
    expect((await api.request('GET', '/api/v1/byok/stats', { token: b.token })).body.total_keys).toBe(0);

    // B storing a key of their own leaves A's alone.
    await add(b.token, { provider: 'openai', api_key: openaiKey() });
    expect((await api.request('DELETE', '/api/v1/byok/keys/openai', { token: b.token })).status).toBe(200);
    const aList = await api.request('GET', '/api/v1/byok/keys', { token: a.token });
    expect(aList.body.map((k: { key_hint: string }) => k.key_hint)).toEqual([`…${key.slice(-4)}`]);
  });

  it('deletes a key, audits the deletion, and answers 404 to a second delete', async () => {
    const { token } = await user();
    await add(token, { provider: 'groq', api_key: `gsk_${randomBytes(24).toString('hex')}` });
    const res = await api.request('DELETE', '/api/v1/byok/keys/groq', { token });
    expect({ status: res.status, body: res.body }).toEqual({
      status: 200,
      body: { provider: 'groq', deleted: true },
    });
    expect((await api.request('GET', '/api/v1/byok/keys', { token })).body).toEqual([]);
    expect((await api.request('DELETE', '/api/v1/byok/keys/groq', { token })).status).toBe(404);
    const deleted = await db.orm.em.fork().find(AuditEntry, { action: 'byok.key_deleted' });
    expect(deleted.length).toBeGreaterThan(0);
  });

  it('rejects a key of the wrong shape, naming body.api_key and not echoing the key', async () => {
    const { token } = await user();
    const wrong = `sk-ant-api03-${randomBytes(20).toString('hex')}`;
    const res = await add(token, { provider: 'openai', api_key: wrong });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details.field).toBe('body.api_key');
    expect(res.body.error.message).toMatch(/OpenAI key \(expected sk-…\)/);
    expect(JSON.stringify(res.body)).not.toContain(wrong);

    for (const [provider, api_key] of [
      ['huggingface', 'sk-abcdefghijklmnopqrstuvwx'],
      ['google', 'not-a-google-key-at-all-123456'],
      ['groq', 'gsk-wrong-separator-1234567890'],
      ['openrouter', 'sk-abcdefghijklmnopqrstuvwxyz'],
    ]) {
      const r = await add(token, { provider, api_key });
      expect([provider, r.status, r.body.error.details.field]).toEqual([provider, 400, 'body.api_key']);
    }
  });

  it('names the field for an unknown provider, a missing key and an unexpected field', async () => {
    const { token } = await user();
    const unknown = await add(token, { provider: 'acme', api_key: openaiKey() });
    expect(unknown.body.error.details.field).toBe('body.provider');
    const missing = await add(token, { provider: 'openai' });
    expect(missing.body.error.details.field).toBe('body.api_key');
    const extra = await add(token, { provider: 'openai', api_key: openaiKey(), owner: 'someone-else' });
    expect(extra.status).toBe(400);
    const badParam = await api.request('DELETE', '/api/v1/byok/keys/acme', { token });
    expect(badParam.body.error.details.field).toBe('params.provider');
  });

  it('accepts well-formed keys of every provider', async () => {
    const { token } = await user();
    const alnum = (len: number) => randomBytes(len).toString('hex').slice(0, len);
    const keys: Record<string, string> = {
      openai: `sk-${alnum(48)}`,
      anthropic: anthropicKey(),
      huggingface: `hf_${alnum(34)}`,
      google: `AIza${alnum(35)}`,
      cohere: alnum(40),
      groq: `gsk_${alnum(52)}`,
      mistral: alnum(32),
      openrouter: `sk-or-v1-${alnum(64)}`,
    };
    for (const [provider, api_key] of Object.entries(keys)) {
      const r = await add(token, { provider, api_key });
      expect([provider, r.status]).toEqual([provider, 200]);
    }
    expect((await api.request('GET', '/api/v1/byok/keys', { token })).body).toHaveLength(8);
  });

  it('counts keys per provider, test outcomes, and usage that ran on the customer’s own keys', async () => {
    const { token, email } = await user();
    const someoneElse = await user();
    await add(someoneElse.token, { provider: 'openai', api_key: openaiKey() });
    const empty = await api.request('GET', '/api/v1/byok/stats', { token });
    expect(empty.body).toMatchObject({
      total_keys: 0,
      tests: { passed: 0, failed: 0, untested: 0 },
      byok_usage_events: 0,
    });

    await add(token, { provider: 'openai', api_key: openaiKey() });
    await add(token, { provider: 'anthropic', api_key: anthropicKey() });
    const em = db.orm.em.fork();
    const customer = await em.findOneOrFail(Customer, { email });
    const rows = await em.find(ProviderKey, { customer }, { orderBy: { provider: 'asc' } });
    rows[0]!.lastTestResult = 'valid';
    rows[1]!.lastTestResult = 'invalid_key';
    const other = await em.findOneOrFail(Customer, { email: someoneElse.email });
    const event = (c: Customer, byok: boolean) =>
      em.create(UsageEvent, {
        id: newId('ue'),
        customer: c,
        eventId: newId('evt'),
        reporter: 'gateway',
        type: 'inference',
        quantity: 3,
        occurredAt: new Date(),
        byok,
      });
    event(customer, true);
    event(customer, true);
    event(customer, false);
    event(other, true);
    await em.flush();

    const res = await api.request('GET', '/api/v1/byok/stats', { token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      total_keys: 2,
      keys_by_provider: expect.objectContaining({ openai: 1, anthropic: 1, groq: 0 }),
      tests: { passed: 1, failed: 1, untested: 0 },
      byok_usage_events: 2,
    });
  });
});
