import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';

export interface Claims {
  sub?: string;
  /** Left out for a service account's token, which Keycloak issues without one. */
  email?: string;
  /** Further claims, e.g. preferred_username. */
  extra?: Record<string, unknown>;
  roles?: string[];
  /** Keycloak client roles: resource_access.<client>.roles */
  clientRoles?: Record<string, string[]>;
  expiresIn?: string;
  issuer?: string;
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

  const sign = (key: KeyLike, c: Claims) =>
    new SignJWT({
      ...c.extra,
      email: c.email,
      realm_access: { roles: c.roles ?? [] },
      resource_access: Object.fromEntries(
        Object.entries(c.clientRoles ?? {}).map(([k, roles]) => [k, { roles }]),
      ),
    })
      .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
      .setSubject(c.sub ?? `user-${c.email ?? 'service'}`)
      .setIssuer(c.issuer ?? issuer)
      .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
      .setExpirationTime(c.expiresIn ?? '1h')
      .sign(key);

  return {
    issuer,
    jwksUrl: `${base}/realms/test/protocol/openid-connect/certs`,
    token: (c) => sign(privateKey, c),
    forgedToken: (c) => sign(forger.privateKey, c),
    stop: () => new Promise((r) => server.close(() => r())),
  };
}
