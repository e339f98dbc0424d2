import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { startTestApi, type TestApi } from '../helpers/api';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { openTestDatabase } from '../helpers/db';

const ADMIN_ROUTE = '/api/v1/admin/audit-log';

function claims(issuer: string) {
  return new SignJWT({ email: 'mallory@example.com', realm_access: { roles: ['admin'] } })
    .setSubject('mallory')
    .setIssuer(issuer)
    .setIssuedAt()
    .setExpirationTime('1h');
}

/** Tokens an attacker would try: every one must be a 401 with a stable code, never a 5xx. */
async function hostileTokens(issuer: string): Promise<Record<string, string>> {
  const ec = await generateKeyPair('ES256');
  return {
    'HS256 with a guessable secret': await claims(issuer)
      .setProtectedHeader({ alg: 'HS256', kid: 'test-key' })
      .sign(new TextEncoder().encode('the public key as a shared secret')),
    'alg none': new UnsecuredJWT({ email: 'mallory@example.com', realm_access: { roles: ['admin'] } })
      .setSubject('mallory')
      .setIssuer(issuer)
      .setExpirationTime('1h')
      .encode(),
    'ES256 where the key is RSA': await claims(issuer)
      .setProtectedHeader({ alg: 'ES256', kid: 'test-key' })
      .sign(ec.privateKey),
    'three dots of garbage': 'a.b.c',
    'not base64': '!!!.???.***',
    'a header that is not JSON': `${Buffer.from('{nope').toString('base64url')}.e30.sig`,
    'a huge header': `${Buffer.from(JSON.stringify({ alg: 'RS256', x: 'y'.repeat(6_000) })).toString('base64url')}.e30.sig`,
  };
}

describe.each(['an OIDC issuer (JWKS)', 'the local development key'] as const)(
  'hostile tokens against %s',
  (source) => {
    let idp: TestIdp;
    let db: Awaited<ReturnType<typeof openTestDatabase>>;
    let api: TestApi;

    beforeAll(async () => {
      [idp, db] = await Promise.all([startTestIdp(), openTestDatabase('sqlite')]);
      api = await startTestApi({
        orm: db.orm,
        env:
          source === 'the local development key'
            ? { VAR_DIR: mkdtempSync(join(tmpdir(), 'billing-auth-')) }
            : { OIDC_ISSUER: idp.issuer, OIDC_JWKS_URL: idp.jwksUrl },
      });
    });
    afterAll(async () => {
      await api.stop();
      await Promise.all([idp.stop(), db.close()]);
    });

    it('answers 401 invalid_token to every token with the wrong algorithm or a broken shape', async () => {
      const issuer = source === 'the local development key' ? 'billing-engine-local' : idp.issuer;
      for (const [name, token] of Object.entries(await hostileTokens(issuer))) {
        const res = await api.request('GET', ADMIN_ROUTE, { token });
        expect({ name, status: res.status, code: res.body?.error?.code }).toEqual({
          name,
          status: 401,
          code: 'invalid_token',
        });
      }
    });
  },
);

describe('client roles', () => {
  let idp: TestIdp;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let api: TestApi;

  beforeAll(async () => {
    [idp, db] = await Promise.all([startTestIdp(), openTestDatabase('sqlite')]);
    api = await startTestApi({
      orm: db.orm,
      env: { OIDC_ISSUER: idp.issuer, OIDC_JWKS_URL: idp.jwksUrl, OIDC_CLIENT_ID: 'billing-engine' },
    });
  });
  afterAll(async () => {
    await api.stop();
    await Promise.all([idp.stop(), db.close()]);
  });

  it("takes client roles only from the engine's own client, not from another client of the realm", async () => {
    const otherClientsAdmin = await idp.token({
      email: 'other@example.com',
      clientRoles: { 'wiki-app': ['admin'], 'billing-engine': ['viewer'] },
    });
    expect((await api.request('GET', ADMIN_ROUTE, { token: otherClientsAdmin })).status).toBe(403);
    const ownAdmin = await idp.token({
      email: 'own@example.com',
      clientRoles: { 'billing-engine': ['admin'] },
    });
    expect((await api.request('GET', ADMIN_ROUTE, { token: ownAdmin })).status).toBe(200);
  });

  it('answers 503 when the signing keys cannot be fetched, and 401 again for bad tokens once they can', async () => {
    const down = await startTestApi({
      orm: db.orm,
      env: { OIDC_ISSUER: idp.issuer, OIDC_JWKS_URL: 'http://127.0.0.1:1/certs' },
    });
    try {
      const token = await idp.token({ email: 'someone@example.com', roles: ['admin'] });
      const res = await down.request('GET', ADMIN_ROUTE, { token });
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('identity_provider_unavailable');
    } finally {
      await down.stop();
    }
  });
});
