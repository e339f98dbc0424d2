import { mkdtempSync, rmSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { isLoopbackAddress } from '../../api/net/loopback';
import { join } from 'node:path';
import { startTestApi, type TestApi } from '../helpers/api';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { openTestDatabase } from '../helpers/db';

/** An address of this machine that is not loopback: a request to it arrives from that address. */
function externalAddress(): string {
  const address = Object.values(networkInterfaces())
    .flat()
    .find((i) => i && !i.internal && i.family === 'IPv4')?.address;
  if (!address) throw new Error('this test needs a network interface besides loopback');
  return address;
}

describe('the development sign-in', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let idp: TestIdp;
  let varDir: string;
  const apis: TestApi[] = [];
  const start = async (env: Record<string, string>) => {
    const api = await startTestApi({ orm: db.orm, env: { VAR_DIR: varDir, DEV_SIGN_IN: 'true', ...env } });
    apis.push(api);
    return api;
  };

  beforeAll(async () => {
    [db, idp] = await Promise.all([openTestDatabase('sqlite'), startTestIdp()]);
    varDir = mkdtempSync(join(tmpdir(), 'dev-sign-in-'));
  });
  afterAll(async () => {
    await Promise.all(apis.map((a) => a.stop()));
    await Promise.all([db.close(), idp.stop()]);
    rmSync(varDir, { recursive: true, force: true });
  });

  it('without an identity provider, mints a token of the local key that the engine accepts', async () => {
    const api = await start({});
    const config = await api.request('GET', '/api/v1/auth/config');
    expect(config.body).toEqual({ mode: 'development', dev_sign_in: true, issuer: null, client_id: null });

    const minted = await api.request('POST', '/api/v1/auth/dev-token', {
      body: { email: 'New.Person@Example.com' },
    });
    expect(minted.status).toBe(200);
    expect(minted.body).toMatchObject({
      token_type: 'Bearer',
      email: 'new.person@example.com',
      role: 'viewer',
    });
    expect(Date.parse(minted.body.expires_at)).toBeGreaterThan(Date.now());

    const sub = await api.request('GET', '/api/v1/billing/subscription', { token: minted.body.access_token });
    expect(sub).toMatchObject({ status: 200, body: { status: 'none' } });
    // A viewer's token is a viewer's: admin routes stay closed to it.
    const admin = await api.request('GET', '/api/v1/admin/billing/stats', {
      token: minted.body.access_token,
    });
    expect(admin.status).toBe(403);
  });

  it('refuses roles beyond the people ones and malformed emails', async () => {
    const api = await start({});
    for (const body of [
      { email: 'gw@example.com', role: 'billing-gateway' },
      { email: 'not-an-email' },
      { email: 'a@example.com', extra: true },
    ]) {
      const res = await api.request('POST', '/api/v1/auth/dev-token', { body });
      expect({ body, status: res.status, code: res.body.error?.code }).toEqual({
        body,
        status: 400,
        code: 'validation_failed',
      });
    }
  });

  it('is off when an identity provider issues the tokens, which the app is told to use instead', async () => {
    const api = await start({
      OIDC_ISSUER: idp.issuer,
      OIDC_JWKS_URL: idp.jwksUrl,
      OIDC_WEB_CLIENT_ID: 'billing-web',
    });
    const minted = await api.request('POST', '/api/v1/auth/dev-token', { body: { email: 'a@example.com' } });
    expect(minted.status).toBe(404);
    expect(minted.body.error.code).toBe('dev_sign_in_disabled');
    const config = await api.request('GET', '/api/v1/auth/config');
    expect(config.body).toEqual({
      mode: 'oidc',
      dev_sign_in: false,
      issuer: idp.issuer,
      client_id: 'billing-web',
    });
  });

  it('is off in production', async () => {
    const api = await start({
      NODE_ENV: 'production',
      DEV_SIGN_IN: 'false',
      OIDC_ISSUER: idp.issuer,
      OIDC_JWKS_URL: idp.jwksUrl,
      OIDC_AUDIENCE: 'billing-engine',
      PUBLIC_BASE_URL: 'https://billing.example.com',
      METRICS_TOKEN: 'a-long-scrape-token',
    });
    const minted = await api.request('POST', '/api/v1/auth/dev-token', {
      body: { email: 'a@example.com', role: 'admin' },
    });
    expect(minted.status).toBe(404);
    expect(minted.body.error).toMatchObject({
      code: 'dev_sign_in_disabled',
      message: expect.stringContaining('production'),
    });
  });

  it('is off unless DEV_SIGN_IN asks for it, and the app is told so', async () => {
    for (const env of [{ DEV_SIGN_IN: 'false' }, { DEV_SIGN_IN: '' }]) {
      const api = await start(env);
      const minted = await api.request('POST', '/api/v1/auth/dev-token', {
        body: { email: 'a@example.com', role: 'admin' },
      });
      expect({ env, status: minted.status, code: minted.body.error?.code }).toEqual({
        env,
        status: 404,
        code: 'dev_sign_in_disabled',
      });
      const config = await api.request('GET', '/api/v1/auth/config');
      expect(config.body).toMatchObject({ dev_sign_in: false });
    }
  });

  it('answers callers on this machine only, whatever X-Forwarded-For or a trusted proxy says', async () => {
    const external = externalAddress();
    const api = await startTestApi({
      orm: db.orm,
      host: '0.0.0.0',
      env: { VAR_DIR: varDir, DEV_SIGN_IN: 'true', TRUST_PROXY: 'true' },
    });
    apis.push(api);
    const port = new URL(api.url).port;
    const forged: Record<string, string>[] = [
      {},
      { 'x-forwarded-for': '127.0.0.1' },
      { 'x-forwarded-for': '::1' },
      { 'x-forwarded-for': '203.0.113.7, 127.0.0.1' },
      { 'x-real-ip': '127.0.0.1', forwarded: 'for=127.0.0.1' },
    ];
    for (const headers of forged) {
      const minted = await fetch(`http://${external}:${port}/api/v1/auth/dev-token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ email: 'far@example.com', role: 'admin' }),
      });
      const body = (await minted.json()) as { error?: { code: string }; access_token?: string };
      expect({ headers, status: minted.status, code: body.error?.code }).toEqual({
        headers,
        status: 404,
        code: 'dev_sign_in_disabled',
      });
      const config = await fetch(`http://${external}:${port}/api/v1/auth/config`, { headers });
      expect({ headers, config: await config.json() }).toMatchObject({
        headers,
        config: { dev_sign_in: false },
      });
    }
    // The same server, called over loopback, still signs a developer in.
    const local = await api.request('POST', '/api/v1/auth/dev-token', {
      body: { email: 'near@example.com' },
    });
    expect(local.status).toBe(200);
  });

  it.each([
    ['127.0.0.1', true],
    ['127.255.0.9', true],
    ['::1', true],
    ['0:0:0:0:0:0:0:1', true],
    ['::ffff:127.0.0.1', true],
    ['0.0.0.0', false],
    ['::', false],
    ['128.0.0.1', false],
    ['126.255.255.255', false],
    ['::ffff:192.0.2.2', false],
    ['::2', false],
    ['fe80::1', false],
    ['127.0.0.1.evil.com', false],
    ['127.0.0.256', false],
    [' 127.0.0.1', false],
    ['127.0.0.1\n', false],
    ['localhost', false],
    ['', false],
    [undefined, false],
  ])('takes %j for loopback: %s', (address, loopback) => {
    expect(isLoopbackAddress(address)).toBe(loopback);
  });
});
