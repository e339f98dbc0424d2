import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApi, type TestApi } from '../helpers/api';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { openTestDatabase } from '../helpers/db';

describe('the development sign-in', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let idp: TestIdp;
  let varDir: string;
  const apis: TestApi[] = [];
  const start = async (env: Record<string, string>) => {
    const api = await startTestApi({ orm: db.orm, env: { VAR_DIR: varDir, ...env } });
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
});
