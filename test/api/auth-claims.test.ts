import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { createVerifier } from '../../api/auth/verifier';
import { loadConfig } from '../../config/env';
import { AppError } from '../../domain/errors';
import { GATEWAY_ROLE } from '../../domain/roles';
import { startTestApi, type TestApi } from '../helpers/api';
import { ENGINE_CLIENT, startTestIdp, type Claims, type TestIdp } from '../helpers/auth';
import { openTestDatabase } from '../helpers/db';

const ADMIN_ROUTE = '/api/v1/admin/audit-log';
const VIEWER_ROUTE = '/api/v1/subscriptions/my-access';
/** Only the gateway may read it: it answers the gateway 404 for an unknown user, anyone else 403. */
const GATEWAY_ROUTE = '/api/v1/subscriptions/admin/user-access/nobody-here';

/**
 * Tokens signed by the realm's own key (a stand-in identity provider) whose claims an attacker shaped:
 * the signature is good, so only the engine's reading of the claims stands between them and a role.
 */
describe('the claims of a validly signed token', () => {
  let idp: TestIdp;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let api: TestApi;

  beforeAll(async () => {
    [idp, db] = await Promise.all([startTestIdp(), openTestDatabase('sqlite')]);
    api = await startTestApi({ orm: db.orm, env: { OIDC_ISSUER: idp.issuer, OIDC_JWKS_URL: idp.jwksUrl } });
  });
  afterAll(async () => {
    await api.stop();
    await Promise.all([idp.stop(), db.close()]);
  });

  const outcome = async (route: string, claims: Claims) => {
    const res = await api.request('GET', route, { token: await idp.token(claims) });
    return { status: res.status, code: res.body?.error?.code as string | undefined };
  };
  const admin = (email: string): Claims => ({ email, roles: ['admin'] });

  it('a realm role named admin, or named like the gateway, makes nobody admin or the gateway', async () => {
    expect(await outcome(ADMIN_ROUTE, { email: 'realm-admin@example.com', realmRoles: ['admin'] })).toEqual({
      status: 403,
      code: 'forbidden',
    });
    expect(
      await outcome(GATEWAY_ROUTE, { email: 'realm-gw@example.com', realmRoles: [GATEWAY_ROLE] }),
    ).toEqual({ status: 403, code: 'forbidden' });
    // The engine's own client role still does.
    expect((await outcome(ADMIN_ROUTE, admin('client-admin@example.com'))).status).toBe(200);
  });

  it('refuses a token without an expiry, or with one that is not a number, as invalid', async () => {
    for (const claims of [
      { ...admin('no-exp@example.com'), omit: ['exp'] },
      { ...admin('text-exp@example.com'), extra: { exp: 'never' } },
      { ...admin('null-exp@example.com'), extra: { exp: null } },
    ]) {
      expect(await outcome(ADMIN_ROUTE, claims)).toEqual({ status: 401, code: 'invalid_token' });
    }
  });

  it('refuses a token without a usable subject as invalid', async () => {
    for (const sub of [undefined, '', 42, ['a'], { id: 'a' }, 'x'.repeat(256)]) {
      const claims: Claims =
        sub === undefined
          ? { ...admin('no-sub@example.com'), omit: ['sub'] }
          : { ...admin('odd-sub@example.com'), extra: { sub } };
      expect({ sub, ...(await outcome(ADMIN_ROUTE, claims)) }).toEqual({
        sub,
        status: 401,
        code: 'invalid_token',
      });
    }
  });

  it('takes access tokens only: an ID, refresh, offline or logout token is refused', async () => {
    for (const typ of ['ID', 'Refresh', 'Offline', 'Logout', 'Serialized-ID', 'bearer', '', 1, ['Bearer']]) {
      expect({
        typ,
        ...(await outcome(ADMIN_ROUTE, { ...admin('typ@example.com'), extra: { typ } })),
      }).toEqual({ typ, status: 401, code: 'invalid_token' });
    }
    // Keycloak's access tokens say Bearer; a token without typ (other issuers) is judged on the rest.
    expect((await outcome(ADMIN_ROUTE, { ...admin('no-typ@example.com'), omit: ['typ'] })).status).toBe(200);
  });

  it('refuses a token issued to no client, or to a client this engine does not accept', async () => {
    const cases: Claims[] = [
      { ...admin('no-azp@example.com'), omit: ['azp'] },
      ...['wiki-app', '', 'billing-engine ', 'BILLING-ENGINE', '__proto__', 'constructor'].map((azp) => ({
        ...admin('azp@example.com'),
        extra: { azp },
      })),
      ...[null, 7, ['billing-engine'], { id: 'billing-engine' }].map((azp) => ({
        ...admin('azp@example.com'),
        extra: { azp },
      })),
    ];
    for (const claims of cases) {
      expect({ azp: claims.extra?.azp, ...(await outcome(ADMIN_ROUTE, claims)) }).toEqual({
        azp: claims.extra?.azp,
        status: 401,
        code: 'invalid_token',
      });
    }
    // The gateway's client is accepted by default (OIDC_GATEWAY_CLIENT_ID).
    const gateway: Claims = {
      sub: 'svc-gateway',
      roles: [GATEWAY_ROLE],
      extra: { azp: 'ai-gateway', preferred_username: 'service-account-ai-gateway' },
    };
    expect(await outcome(GATEWAY_ROUTE, gateway)).toEqual({ status: 404, code: 'user_not_found' });
  });

  it("refuses a person whose email the identity provider has not verified, whatever the claim's shape", async () => {
    for (const verified of [false, 'true', 1, null, ['true'], { value: true }, undefined]) {
      const claims: Claims =
        verified === undefined
          ? { email: 'unverified@example.com', omit: ['email_verified'] }
          : { email: 'unverified@example.com', extra: { email_verified: verified } };
      expect({ verified, ...(await outcome(VIEWER_ROUTE, claims)) }).toEqual({
        verified,
        status: 403,
        code: 'email_not_verified',
      });
    }
    expect((await outcome(VIEWER_ROUTE, { email: 'verified@example.com' })).status).toBe(200);
  });

  it("lets the gateway's service account in without an email or a verified one", async () => {
    const serviceAccount: Claims = {
      sub: 'svc-gateway-2',
      roles: [GATEWAY_ROLE],
      extra: {
        azp: 'ai-gateway',
        preferred_username: 'service-account-ai-gateway',
        email_verified: false,
      },
    };
    expect(await outcome(GATEWAY_ROUTE, serviceAccount)).toEqual({ status: 404, code: 'user_not_found' });
  });

  it('grants nothing for roles of any other shape than a list of names', async () => {
    const shapes: unknown[] = [
      { [ENGINE_CLIENT]: { roles: 'admin' } },
      { [ENGINE_CLIENT]: { roles: { 0: 'admin', length: 1 } } },
      { [ENGINE_CLIENT]: { roles: null } },
      { [ENGINE_CLIENT]: { roles: [['admin']] } },
      { [ENGINE_CLIENT]: { roles: [{ name: 'admin' }] } },
      { [ENGINE_CLIENT]: ['admin'] },
      { [ENGINE_CLIENT]: 'admin' },
      { [ENGINE_CLIENT]: null },
      [{ roles: ['admin'] }],
      'admin',
      null,
    ];
    for (const resource_access of shapes) {
      const claims: Claims = { email: 'shapes@example.com', extra: { resource_access } };
      expect({ resource_access, ...(await outcome(ADMIN_ROUTE, claims)) }).toEqual({
        resource_access,
        status: 403,
        code: 'forbidden',
      });
    }
  });

  it('reads no role through a client named __proto__ or constructor, and pollutes no prototype', async () => {
    const hostile: unknown[] = [
      JSON.parse(`{"__proto__": {"${ENGINE_CLIENT}": {"roles": ["admin"]}}}`),
      JSON.parse('{"__proto__": {"roles": ["admin"]}}'),
      JSON.parse('{"constructor": {"roles": ["admin"]}, "prototype": {"roles": ["admin"]}}'),
      JSON.parse(`{"constructor": {"prototype": {"${ENGINE_CLIENT}": {"roles": ["admin"]}}}}`),
    ];
    for (const resource_access of hostile) {
      const claims: Claims = {
        email: 'proto@example.com',
        extra: { resource_access, realm_access: JSON.parse('{"__proto__": {"roles": ["admin"]}}') },
      };
      expect({ resource_access, ...(await outcome(ADMIN_ROUTE, claims)) }).toEqual({
        resource_access,
        status: 403,
        code: 'forbidden',
      });
    }
    expect(({} as Record<string, unknown>).roles).toBeUndefined();
    expect(({} as Record<string, unknown>)[ENGINE_CLIENT]).toBeUndefined();
  });

  it('refuses a token whose roles for the engine are a flood, admin hidden among them', async () => {
    const flood = [...Array.from({ length: 1000 }, (_, i) => `r${i}`), 'admin'];
    expect(await outcome(ADMIN_ROUTE, { email: 'flood@example.com', roles: flood })).toEqual({
      status: 401,
      code: 'invalid_token',
    });
    // Far beyond what fits in a request header: the verifier itself refuses it, and quickly.
    const verifier = await createVerifier(api.config);
    const huge = await idp.token({
      email: 'huge@example.com',
      roles: [...Array.from({ length: 200_000 }, (_, i) => `role-${i}`), 'admin'],
    });
    const started = Date.now();
    const err = await verifier.verify(huge).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('invalid_token');
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe('realm roles under a configured prefix', () => {
  let idp: TestIdp;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let api: TestApi;

  beforeAll(async () => {
    [idp, db] = await Promise.all([startTestIdp(), openTestDatabase('sqlite')]);
    api = await startTestApi({
      orm: db.orm,
      env: { OIDC_ISSUER: idp.issuer, OIDC_JWKS_URL: idp.jwksUrl, OIDC_REALM_ROLE_PREFIX: 'billing-' },
    });
  });
  afterAll(async () => {
    await api.stop();
    await Promise.all([idp.stop(), db.close()]);
  });

  const status = async (realmRoles: unknown) =>
    (
      await api.request('GET', ADMIN_ROUTE, {
        token: await idp.token({
          email: 'prefixed@example.com',
          extra: { realm_access: { roles: realmRoles } },
        }),
      })
    ).status;

  it('counts a realm role carrying the prefix as the role after it, and nothing without the prefix', async () => {
    expect(await status(['billing-admin'])).toBe(200);
    for (const roles of [
      ['admin'],
      ['billing-'],
      ['xbilling-admin'],
      ['Billing-admin'],
      ['billing-Admin'],
      ['billing-billing-'],
      'billing-admin',
      [['billing-admin']],
    ]) {
      expect({ roles, status: await status(roles) }).toEqual({ roles, status: 403 });
    }
  });
});

describe('tokens of the local development key', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let api: TestApi;

  beforeAll(async () => {
    db = await openTestDatabase('sqlite');
    api = await startTestApi({
      orm: db.orm,
      env: { VAR_DIR: mkdtempSync(join(tmpdir(), 'billing-dev-key-')), DEV_SIGN_IN: 'true' },
    });
  });
  afterAll(async () => {
    await api.stop();
    await db.close();
  });

  it('carry every claim the engine requires, and their role counts', async () => {
    const signIn = await api.request('POST', '/api/v1/auth/dev-token', {
      body: { email: 'Dev@Example.com', role: 'admin' },
    });
    expect(signIn.status).toBe(200);
    const token = signIn.body.access_token as string;
    expect(decodeJwt(token)).toMatchObject({
      typ: 'Bearer',
      azp: api.config.OIDC_CLIENT_ID,
      sub: 'local-dev@example.com',
      email_verified: true,
      exp: expect.any(Number),
      resource_access: { [api.config.OIDC_CLIENT_ID]: { roles: ['admin'] } },
    });
    expect(decodeJwt(token)).not.toHaveProperty('realm_access');
    expect((await api.request('GET', ADMIN_ROUTE, { token })).status).toBe(200);
  });
});

describe('OIDC_ALLOWED_CLIENTS', () => {
  let idp: TestIdp;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let api: TestApi;

  beforeAll(async () => {
    [idp, db] = await Promise.all([startTestIdp(), openTestDatabase('sqlite')]);
    api = await startTestApi({
      orm: db.orm,
      env: {
        OIDC_ISSUER: idp.issuer,
        OIDC_JWKS_URL: idp.jwksUrl,
        OIDC_ALLOWED_CLIENTS: ' billing-engine , partner-portal',
      },
    });
  });
  afterAll(async () => {
    await api.stop();
    await Promise.all([idp.stop(), db.close()]);
  });

  it('replaces the default clients: the listed ones are accepted, the gateway default is not', async () => {
    const statusFor = async (azp: string) =>
      (
        await api.request('GET', ADMIN_ROUTE, {
          token: await idp.token({ email: 'listed@example.com', roles: ['admin'], extra: { azp } }),
        })
      ).status;
    expect(await statusFor('partner-portal')).toBe(200);
    expect(await statusFor(ENGINE_CLIENT)).toBe(200);
    expect(await statusFor('ai-gateway')).toBe(401);
  });

  it('is refused at start with an empty entry', () => {
    expect(() => loadConfig({ NODE_ENV: 'test', OIDC_ALLOWED_CLIENTS: 'billing-engine,,gw' })).toThrow(
      /OIDC_ALLOWED_CLIENTS: must be client ids separated by commas/,
    );
  });
});
