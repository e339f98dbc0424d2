import fc from 'fast-check';
import { SnapshotSigner } from '../../../integrations/entitlements/snapshot';
import { newSigningSecret, signDelivery } from '../../../integrations/webhooks/standard-webhooks';
import { testKeyring } from '../../../test/helpers/byok-keys';
import { keyIdOf, keysOf, SnapshotRejected, verifySnapshot } from '../src/jws';
import { verifyWebhook, WebhookRejected } from '../src/webhooks';

const NOW = Date.parse('2026-11-26T10:00:00.000Z');
const claims = { tier: 'pro', status: 'active', entitlements: [] };

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const reasonOf = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    if (err instanceof SnapshotRejected || err instanceof WebhookRejected) return err.reason;
    throw err;
  }
  return 'accepted';
};

describe('snapshot signatures, checked by the gateway client', () => {
  const signer = new SnapshotSigner(testKeyring());
  let keys: ReturnType<typeof keysOf>;
  beforeAll(async () => {
    keys = keysOf(await signer.jwks());
  });

  it('accepts what the engine signs, with its customer, times and claims', async () => {
    const token = await signer.sign('cust_1', claims, new Date(NOW), 60);
    expect(keyIdOf(token)).toBe(signer.kid);
    expect(verifySnapshot(token, keys, NOW)).toEqual({
      customerId: 'cust_1',
      issuedAtMs: NOW,
      expiresAtMs: NOW + 60_000,
      claims: expect.objectContaining(claims),
    });
  });

  it('refuses a changed claim, another key, another algorithm or type, and an expired one', async () => {
    const token = await signer.sign('cust_1', claims, new Date(NOW), 60);
    const [head, body, sig] = token.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<string, unknown>;
    const header = JSON.parse(Buffer.from(head, 'base64url').toString()) as Record<string, unknown>;
    const forged = `${head}.${b64({ ...payload, status: 'active', tier: 'enterprise' })}.${sig}`;
    expect(reasonOf(() => verifySnapshot(forged, keys, NOW))).toBe('bad_signature');
    const other = await new SnapshotSigner(testKeyring()).sign('cust_1', claims, new Date(NOW), 60);
    expect(reasonOf(() => verifySnapshot(other, keys, NOW))).toBe('unknown_key');
    // Another key's signature under this key's id.
    const [, otherBody, otherSig] = other.split('.') as [string, string, string];
    expect(reasonOf(() => verifySnapshot(`${head}.${otherBody}.${otherSig}`, keys, NOW))).toBe(
      'bad_signature',
    );
    expect(reasonOf(() => verifySnapshot(`${b64({ ...header, alg: 'none' })}.${body}.`, keys, NOW))).toBe(
      'wrong_algorithm',
    );
    expect(
      reasonOf(() => verifySnapshot(`${b64({ ...header, alg: 'HS256' })}.${body}.${sig}`, keys, NOW)),
    ).toBe('wrong_algorithm');
    expect(
      reasonOf(() => verifySnapshot(`${b64({ ...header, typ: 'JWT' })}.${body}.${sig}`, keys, NOW)),
    ).toBe('wrong_type');
    expect(
      reasonOf(() => verifySnapshot(`${b64({ ...header, kid: 'ent-9' })}.${body}.${sig}`, keys, NOW)),
    ).toBe('unknown_key');
    expect(reasonOf(() => verifySnapshot(token, keys, NOW + 60_000))).toBe('expired');
  });

  it('refuses any other string with a SnapshotRejected, never another error', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: 'binary' }),
          fc.array(fc.base64String(), { minLength: 3, maxLength: 3 }).map((p) => p.join('.')),
          fc.tuple(fc.json(), fc.json()).map(([h, p]) => `${b64(h)}.${b64(p)}.AAAA`),
        ),
        (text) => {
          expect(reasonOf(() => verifySnapshot(text, keys, NOW))).not.toBe('accepted');
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('webhook deliveries, checked by the gateway client', () => {
  const secret = newSigningSecret();
  const body = JSON.stringify({
    id: 'bev_1',
    type: 'access.changed',
    timestamp: new Date(NOW).toISOString(),
    customer: { id: 'cust_1', email: 'ada@example.com', user_id: 'kc-ada' },
    data: { cause: 'subscription', allowed: false },
  });
  const headers = (secrets = [secret], at = NOW) =>
    signDelivery(secrets, { id: 'bev_1', at: new Date(at), body }) as unknown as Record<string, string>;

  it("accepts the engine's signature, also beside a secret being rotated out", () => {
    expect(verifyWebhook(secret, body, headers(), NOW)).toMatchObject({
      id: 'bev_1',
      type: 'access.changed',
      customer: { id: 'cust_1', email: 'ada@example.com' },
    });
    expect(verifyWebhook(secret, Buffer.from(body), headers([newSigningSecret(), secret]), NOW).type).toBe(
      'access.changed',
    );
  });

  it('refuses a changed body, another secret, an old delivery and missing headers', () => {
    expect(reasonOf(() => verifyWebhook(secret, body.replace('false', 'true'), headers(), NOW))).toBe(
      'bad_signature',
    );
    expect(reasonOf(() => verifyWebhook(newSigningSecret(), body, headers(), NOW))).toBe('bad_signature');
    expect(reasonOf(() => verifyWebhook(secret, body, headers([secret], NOW - 6 * 60_000), NOW))).toBe(
      'stale',
    );
    expect(reasonOf(() => verifyWebhook(secret, body, { 'webhook-id': 'bev_1' }, NOW))).toBe(
      'missing_headers',
    );
    const h = headers();
    expect(
      reasonOf(() => verifyWebhook(secret, body, { ...h, 'webhook-signature': 'v1,' + 'A'.repeat(44) }, NOW)),
    ).toBe('bad_signature');
  });
});
