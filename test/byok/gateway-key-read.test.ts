import { randomBytes } from 'node:crypto';
import { AuditEntry, Customer, ProviderKey } from '../../db/entities';
import { GATEWAY_ROLE } from '../../domain/roles';
import type { TestApi } from '../helpers/api';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { capturingLogger, startByokTestApi } from '../helpers/byok-app';
import { openTestDatabase } from '../helpers/db';
import { storeCustomerKey } from '../usage/fixtures';
import { subscribeToByokPlan } from './byok-plan';

const openaiKey = () => `sk-proj-${randomBytes(20).toString('hex')}`;
const anthropicKey = () => `sk-ant-api03-${randomBytes(20).toString('hex')}`;
const KEYS = '/api/v1/byok/gateway/keys';

describe.each(['sqlite', 'postgresql'] as const)("the gateway's read of a customer's key (%s)", (dialect) => {
  let idp: TestIdp;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let api: TestApi;
  /** Same database, tight limits: 5 reads a minute per gateway, 3 per customer. */
  let tight: TestApi;
  let gateway: string;
  const logs = capturingLogger();
  let n = 0;

  /** A fresh customer who stored an OpenAI key through the API, with the key they stored. */
  async function customerWithKey(): Promise<{ email: string; sub: string; token: string; key: string }> {
    const email = `gw-${++n}-${Date.now()}@example.com`;
    const sub = `kc-gw-${n}`;
    const token = await idp.token({ sub, email });
    const key = openaiKey();
    const added = await api.request('POST', '/api/v1/byok/keys/add', {
      token,
      body: { provider: 'openai', api_key: key },
    });
    expect(added.status).toBe(200);
    await subscribeToByokPlan(db.orm, sub);
    return { email, sub, token, key };
  }

  beforeAll(async () => {
    [idp, db] = await Promise.all([startTestIdp(), openTestDatabase(dialect)]);
    const env = { OIDC_ISSUER: idp.issuer, OIDC_JWKS_URL: idp.jwksUrl, LOG_LEVEL: 'trace' };
    api = await startByokTestApi({ orm: db.orm, env, logger: logs.logger });
    tight = await startByokTestApi({
      orm: db.orm,
      keyring: api.byok.keyring,
      env: {
        ...env,
        BYOK_KEY_READS_PER_MINUTE_PER_GATEWAY: '5',
        BYOK_KEY_READS_PER_MINUTE_PER_CUSTOMER: '3',
      },
    });
    gateway = await idp.token({ sub: 'svc-gateway-1', email: 'gateway@example.com', roles: [GATEWAY_ROLE] });
  });
  afterAll(async () => {
    await api?.stop();
    await tight?.stop();
    await Promise.all([idp?.stop(), db?.close()]);
  });

  it('gives the gateway the key the customer stored, decrypted, by email or user id, and never to be cached', async () => {
    const { email, sub, key } = await customerWithKey();
    const byEmail = await api.request('GET', `${KEYS}/openai?customer_email=${encodeURIComponent(email)}`, {
      token: gateway,
    });
    expect(byEmail.status).toBe(200);
    const customer = await db.orm.em.fork().findOneOrFail(Customer, { email });
    expect(byEmail.body).toEqual({
      provider: 'openai',
      api_key: key,
      key_hint: `…${key.slice(-4)}`,
      customer_id: customer.id,
      user_id: sub,
      updated_at: expect.any(String),
    });
    expect(byEmail.headers.get('cache-control')).toBe('no-store');
    const byUser = await api.request('GET', `${KEYS}/openai?user_id=${sub}`, { token: gateway });
    expect(byUser.body.api_key).toBe(key);
  });

  it('refuses the key to the customer themselves, an editor and an admin', async () => {
    const { email, token } = await customerWithKey();
    const path = `${KEYS}/openai?customer_email=${encodeURIComponent(email)}`;
    const editor = await idp.token({ email: 'ed@example.com', roles: ['editor'] });
    const admin = await idp.token({ email: 'boss@example.com', roles: ['admin'] });
    for (const [who, t] of [
      ['customer', token],
      ['editor', editor],
      ['admin', admin],
    ] as const) {
      const res = await api.request('GET', path, { token: t });
      expect([who, res.status, res.body.error.code]).toEqual([who, 403, 'forbidden']);
      expect(JSON.stringify(res.body)).not.toContain('sk-proj-');
    }
    expect((await api.request('GET', path)).status).toBe(401);
  });

  it('leaves an audit entry for every read: which gateway, whose key, which provider, never the key', async () => {
    const { email, key } = await customerWithKey();
    const em = db.orm.em.fork();
    const customer = await em.findOneOrFail(Customer, { email });
    const row = await em.findOneOrFail(ProviderKey, { customer });
    for (let i = 0; i < 3; i++) {
      const res = await api.request('GET', `${KEYS}/openai?user_id=${customer.userId}`, { token: gateway });
      expect(res.status).toBe(200);
    }
    const reads = await em.find(AuditEntry, { action: 'byok.key_read', entityId: row.id });
    expect(reads).toHaveLength(3);
    for (const entry of reads) {
      expect(entry).toMatchObject({
        actorId: 'svc-gateway-1',
        actorEmail: 'gateway@example.com',
        entityType: 'provider_key',
        after: {
          customer_id: customer.id,
          user_id: customer.userId,
          provider: 'openai',
          key_hint: key.slice(-4),
        },
      });
      expect(JSON.stringify(entry)).not.toContain(key);
    }
    const admin = await idp.token({ email: 'boss@example.com', roles: ['admin'] });
    const log = await api.request('GET', `/api/v1/admin/audit-log?entity_id=${row.id}`, { token: admin });
    expect(log.body.entries.filter((e: { action: string }) => e.action === 'byok.key_read')).toHaveLength(3);
    expect(JSON.stringify(log.body)).not.toContain(key);
  });

  it('answers 404 for an unknown customer or a provider without a key, and 400 without a customer', async () => {
    const { email } = await customerWithKey();
    const noKey = await api.request('GET', `${KEYS}/anthropic?customer_email=${encodeURIComponent(email)}`, {
      token: gateway,
    });
    expect([noKey.status, noKey.body.error.code]).toEqual([404, 'provider_key_not_found']);
    const nobody = await api.request('GET', `${KEYS}/openai?customer_email=nobody@example.com`, {
      token: gateway,
    });
    expect([nobody.status, nobody.body.error.code]).toEqual([404, 'customer_not_found']);
    const unnamed = await api.request('GET', `${KEYS}/openai`, { token: gateway });
    expect([unnamed.status, unnamed.body.error.details.field]).toEqual([400, 'query.user_id']);
    const provider = await api.request('GET', `${KEYS}/nope?customer_email=${encodeURIComponent(email)}`, {
      token: gateway,
    });
    expect(provider.status).toBe(400);
  });

  it('answers 409 provider_key_unreadable, audited, for a key stored under a master key no longer configured', async () => {
    const { email, token } = await customerWithKey();
    const em = db.orm.em.fork();
    const customer = await em.findOneOrFail(Customer, { email });
    // Stored under another (random) master key: as after a rotation that dropped the old key too early.
    await storeCustomerKey(db.orm, customer, 'anthropic');
    const res = await api.request('GET', `${KEYS}/anthropic?customer_email=${encodeURIComponent(email)}`, {
      token: gateway,
    });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({
      code: 'provider_key_unreadable',
      details: { provider: 'anthropic' },
    });
    const row = await em.findOneOrFail(ProviderKey, { customer, provider: 'anthropic' });
    expect(await em.count(AuditEntry, { action: 'byok.key_read_failed', entityId: row.id })).toBe(1);
    // The customer re-adds it and the gateway can read it again.
    const fresh = anthropicKey();
    await api.request('POST', '/api/v1/byok/keys/add', {
      token,
      body: { provider: 'anthropic', api_key: fresh },
    });
    const again = await api.request('GET', `${KEYS}/anthropic?customer_email=${encodeURIComponent(email)}`, {
      token: gateway,
    });
    expect(again.body.api_key).toBe(fresh);
  });

  it('limits reads per customer and per gateway with 429 rate_limited and Retry-After', async () => {
    const a = await customerWithKey();
    const b = await customerWithKey();
    const read = (token: string, who: { sub: string }) =>
      tight.request('GET', `${KEYS}/openai?user_id=${who.sub}`, { token });
    // Its own gateway identity: the buckets are the database's, shared with `api`, whose reads by the
    // suite's gateway would otherwise count here (and these would leave that gateway limited for the rest).
    const gateway = await idp.token({
      sub: 'svc-gateway-3',
      email: 'gateway3@example.com',
      roles: [GATEWAY_ROLE],
    });
    for (let i = 0; i < 3; i++) expect((await read(gateway, a)).status).toBe(200);
    const customerLimited = await read(gateway, a);
    expect(customerLimited.status).toBe(429);
    expect(customerLimited.body.error).toMatchObject({
      code: 'rate_limited',
      details: { scope: 'customer' },
    });
    expect(Number(customerLimited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(customerLimited.body)).not.toContain(a.key);

    // Four reads so far took four of the gateway's five: one more passes, the next is the gateway's limit.
    expect((await read(gateway, b)).status).toBe(200);
    const gatewayLimited = await read(gateway, b);
    expect(gatewayLimited.status).toBe(429);
    expect(gatewayLimited.body.error.details.scope).toBe('gateway');
    expect(Number(gatewayLimited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);

    // Another gateway identity has its own allowance; customer b still has reads left.
    const second = await idp.token({
      sub: 'svc-gateway-2',
      email: 'gateway2@example.com',
      roles: [GATEWAY_ROLE],
    });
    expect((await read(second, b)).body.api_key).toBe(b.key);
  });

  it('never writes a key to the logs, while the reads are logged', async () => {
    const { email, key } = await customerWithKey();
    const res = await api.request('GET', `${KEYS}/openai?customer_email=${encodeURIComponent(email)}`, {
      token: gateway,
    });
    expect(res.body.api_key).toBe(key);
    const text = logs.text();
    expect(text).toContain(`"path":"${KEYS}/openai"`);
    expect(text).toContain('provider key read by the gateway');
    expect(text).not.toContain(key);
    expect(text).not.toContain(key.slice(8, 24));
  });
});
