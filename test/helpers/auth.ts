import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';

/** The engine's client (OIDC_CLIENT_ID's default): whose client roles count, and a client tokens may come from. */
export const ENGINE_CLIENT = 'billing-engine';

export interface Claims {
  sub?: string;
  /** Left out for a service account's token, which Keycloak issues without one. */
  email?: string;
  /** Further claims, e.g. preferred_username; they override every other (azp, typ, email_verified, …). */
  extra?: Record<string, unknown>;
  /** The engine's client roles (resource_access.billing-engine.roles), as the realm grants them. */
  roles?: string[];
  /** Realm roles (realm_access.roles), which count only under OIDC_REALM_ROLE_PREFIX. */
  realmRoles?: string[];
  /** Keycloak client roles: resource_access.<client>.roles */
  clientRoles?: Record<string, string[]>;
  expiresIn?: string;
  issuer?: string;
  /** Claims to leave out of the token altogether (e.g. exp, sub, azp). */
  omit?: string[];
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

function seconds(span: string): number {
  const m = /^(-?\d+)\s*([smhd])$/.exec(span);
  if (!m) throw new Error(`expiresIn must look like 1h or -60s, not ${span}`);
  return Number(m[1]) * UNIT_SECONDS[m[2]!]!;
}

export interface TestIdp {
  issuer: string;
  jwksUrl: string;
  token(claims: Claims): Promise<string>;
  /** Signs with a key the JWKS does not publish. */
  forgedToken(claims: { email: string; roles?: string[] }): Promise<string>;
  stop(): Promise<void>;
}

/** A stand-in identity provider: a key pair generated in the test and its JWKS served on loopback. */
export async function startTestIdp(): Promise<TestIdp> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const forger = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
  const server: Server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = `${base}/realms/test`;

  // Shaped like a Keycloak access token issued to the engine's client: typ Bearer, azp, the email verified.
  const sign = (key: KeyLike, c: Claims) => {
    const now = Math.floor(Date.now() / 1000);
    const resourceAccess: Record<string, { roles: string[] }> = Object.fromEntries(
      Object.entries(c.clientRoles ?? {}).map(([k, roles]) => [k, { roles }]),
    );
    if (c.roles) {
      const own = Object.hasOwn(resourceAccess, ENGINE_CLIENT) ? resourceAccess[ENGINE_CLIENT]!.roles : [];
      resourceAccess[ENGINE_CLIENT] = { roles: [...c.roles, ...own] };
    }
    const payload: Record<string, unknown> = {
      typ: 'Bearer',
      azp: ENGINE_CLIENT,
      ...(c.email !== undefined ? { email_verified: true } : {}),
      email: c.email,
      realm_access: { roles: c.realmRoles ?? [] },
      resource_access: resourceAccess,
      sub: c.sub ?? `user-${c.email ?? 'service'}`,
      iss: c.issuer ?? issuer,
      iat: now - 7200,
      exp: now + seconds(c.expiresIn ?? '1h'),
      ...c.extra,
    };
    for (const claim of c.omit ?? []) delete payload[claim];
    return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: 'test-key' }).sign(key);
  };

  return {
    issuer,
    jwksUrl: `${base}/realms/test/protocol/openid-connect/certs`,
    token: (c) => sign(privateKey, c),
    forgedToken: (c) => sign(forger.privateKey, c),
    stop: () => new Promise((r) => server.close(() => r())),
  };
}
