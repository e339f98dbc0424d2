import { randomBytes } from 'node:crypto';
import { Customer, ProviderKey } from '../../db/entities';
import type { TestApi } from '../helpers/api';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { capturingLogger, startByokTestApi, startFakeProvider, type FakeProvider } from '../helpers/byok-app';
import { openTestDatabase } from '../helpers/db';

const goodKey = `sk-proj-${randomBytes(20).toString('hex')}`;
const goodAnthropicKey = `sk-ant-api03-${randomBytes(20).toString('hex')}`;

describe('testing a stored key against its provider', () => {
  let idp: TestIdp;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let api: TestApi;
  let openai: FakeProvider;
  let anthropic: FakeProvider;
  let answer: number | 'hang' | undefined;
  const logs = capturingLogger();
  let n = 0;

  async function user() {
    const email = `tester-${++n}@example.com`;
    return { email, token: await idp.token({ email, roles: ['viewer'] }) };
  }
  const add = (token: string, provider: string, apiKey: string) =>
    api.request('POST', '/api/v1/byok/keys/add', { token, body: { provider, api_key: apiKey } });
  const test = (token: string, provider: string) =>
    api.request('POST', `/api/v1/byok/keys/test/${provider}`, { token });

  beforeAll(async () => {
    [idp, db, openai, anthropic] = await Promise.all([
      startTestIdp(),
      openTestDatabase('sqlite'),
      startFakeProvider(goodKey, { answer: () => answer }),
      startFakeProvider(goodAnthropicKey),
    ]);
    // A port that was just free and is now closed: nothing listens there.
    const gone = await startFakeProvider('x');
    await gone.stop();
    api = await startByokTestApi({
      orm: db.orm,
      logger: logs.logger,
      env: {
        OIDC_ISSUER: idp.issuer,
        OIDC_JWKS_URL: idp.jwksUrl,
        BYOK_PROVIDER_BASE_URL_OPENAI: openai.baseUrl,
        BYOK_PROVIDER_BASE_URL_ANTHROPIC: `${anthropic.baseUrl}/`,
        BYOK_PROVIDER_BASE_URL_GROQ: gone.baseUrl,
        BYOK_TEST_TIMEOUT_MS: '300',
      },
    });
  });
  beforeEach(() => {
    answer = undefined;
  });
  afterAll(async () => {
    await api.stop();
    await Promise.all([idp.stop(), db.close(), openai.stop(), anthropic.stop()]);
  });

  it('says valid for a key the provider accepts, and records when it was tested', async () => {
    const { token } = await user();
    await add(token, 'openai', goodKey);
    const res = await test(token, 'openai');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ provider: 'openai', result: 'valid', valid: true, http_status: 200 });
    const seen = openai.requests[openai.requests.length - 1]!;
    expect(seen.path).toBe('/v1/models');
    expect(seen.headers.authorization).toBe(`Bearer ${goodKey}`);
    const [listed] = (await api.request('GET', '/api/v1/byok/keys', { token })).body;
    expect(listed).toMatchObject({ last_test_result: 'valid', last_tested_at: res.body.tested_at });
  });

  it('says invalid_key when the provider answers 401, without passing on what the provider said', async () => {
    const { token } = await user();
    const badKey = `sk-proj-${randomBytes(20).toString('hex')}`;
    await add(token, 'openai', badKey);
    const res = await test(token, 'openai');
    expect(res.body).toMatchObject({ result: 'invalid_key', valid: false, http_status: 401 });
    expect(JSON.stringify(res.body)).not.toMatch(/Incorrect API key|provider\.py/);
    expect(JSON.stringify(res.body)).not.toContain(badKey);
    const [listed] = (await api.request('GET', '/api/v1/byok/keys', { token })).body;
    expect(listed.last_test_result).toBe('invalid_key');
  });

  it('says provider_unreachable when the provider does not answer within the timeout', async () => {
    const { token } = await user();
    await add(token, 'openai', goodKey);
    answer = 'hang';
    const started = Date.now();
    const res = await test(token, 'openai');
    expect(Date.now() - started).toBeLessThan(3000);
    expect(res.body).toMatchObject({ result: 'provider_unreachable', valid: false, http_status: null });
    expect(res.body.message).toMatch(/did not answer within 300 ms/);
  });

  it('says provider_unreachable when nothing listens at the provider’s address, or it fails with a 5xx', async () => {
    const { token } = await user();
    await add(token, 'groq', `gsk_${randomBytes(24).toString('hex')}`);
    expect((await test(token, 'groq')).body).toMatchObject({
      result: 'provider_unreachable',
      http_status: null,
    });
    await add(token, 'openai', goodKey);
    answer = 503;
    expect((await test(token, 'openai')).body).toMatchObject({
      result: 'provider_unreachable',
      http_status: 503,
    });
  });

  it('says rate_limited on a 429', async () => {
    const { token } = await user();
    await add(token, 'openai', goodKey);
    answer = 429;
    expect((await test(token, 'openai')).body).toMatchObject({ result: 'rate_limited', valid: false });
  });

  it('sends Anthropic keys in x-api-key with the API version header', async () => {
    const { token } = await user();
    await add(token, 'anthropic', goodAnthropicKey);
    expect((await test(token, 'anthropic')).body.result).toBe('valid');
    const seen = anthropic.requests[anthropic.requests.length - 1]!;
    expect(seen.path).toBe('/v1/models');
    expect(seen.headers['x-api-key']).toBe(goodAnthropicKey);
    expect(seen.headers['anthropic-version']).toBe('2023-06-01');
    expect(seen.headers.authorization).toBeUndefined();
  });

  it('answers 409 when a stored ciphertext was moved to another user’s row', async () => {
    const a = await user();
    const b = await user();
    await add(a.token, 'openai', goodKey);
    await add(b.token, 'openai', `sk-proj-${randomBytes(20).toString('hex')}`);
    const em = db.orm.em.fork();
    const rowOf = async (email: string) =>
      em.findOneOrFail(ProviderKey, {
        customer: await em.findOneOrFail(Customer, { email }),
        provider: 'openai',
      });
    const [rowA, rowB] = [await rowOf(a.email), await rowOf(b.email)];
    Object.assign(rowB, { ciphertext: rowA.ciphertext, nonce: rowA.nonce, keyVersion: rowA.keyVersion });
    await em.flush();
    const res = await test(b.token, 'openai');
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('provider_key_unreadable');
  });

  it('never writes a raw key to the logs while adding, testing, listing and replacing keys', async () => {
    const { token } = await user();
    const secret = `sk-proj-${randomBytes(20).toString('hex')}`;
    const wrongShape = `sk-ant-${randomBytes(20).toString('hex')}`;
    await add(token, 'openai', secret);
    await test(token, 'openai');
    await add(token, 'openai', goodKey);
    await test(token, 'openai');
    answer = 'hang';
    await test(token, 'openai');
    await api.request('GET', '/api/v1/byok/keys', { token });
    await api.request('GET', '/api/v1/byok/stats', { token });
    await add(token, 'openai', wrongShape);
    const written = logs.text();
    expect(written).toMatch(/provider key tested/);
    expect(written).toMatch(/provider key stored/);
    for (const key of [secret, goodKey, wrongShape]) {
      expect(written).not.toContain(key);
      expect(written).not.toContain(key.slice(8, 28));
    }
  });
});
