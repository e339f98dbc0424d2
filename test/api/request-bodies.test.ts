import { startTestApi, type TestApi } from '../helpers/api';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { openTestDatabase } from '../helpers/db';

const MiB = 1024 * 1024;

/** `size` bytes that claim to be JSON and are not: a body parsed before anything else would be a 400. */
const malformed = (size: number) => `{"name":"${'x'.repeat(size - 10)}`;

describe('request bodies', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let idp: TestIdp;
  let api: TestApi;
  let token: string;

  beforeAll(async () => {
    [db, idp] = await Promise.all([openTestDatabase('sqlite'), startTestIdp()]);
    api = await startTestApi({
      orm: db.orm,
      env: {
        OIDC_ISSUER: idp.issuer,
        OIDC_JWKS_URL: idp.jwksUrl,
        STRIPE_WEBHOOK_SECRET: 'whsec_request_bodies',
      },
    });
    token = await idp.token({ sub: 'kc-bodies', email: 'bodies@example.com' });
  });
  afterAll(async () => {
    await api?.stop();
    await Promise.all([db?.close(), idp?.stop()]);
  });

  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${api.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    }).then(async (res) => ({
      status: res.status,
      code: ((await res.json()) as { error?: { code: string } }).error?.code,
    }));

  it('answers an unauthenticated caller 401 without reading, let alone parsing, a large body', async () => {
    const routes = [
      '/api/v1/stripe/create_customer',
      '/api/v1/billing/checkout/create',
      // The route that reads the most, once the caller is known.
      '/api/v1/billing/report_usage',
      '/api/v1/subscriptions/plans',
    ];
    for (const path of routes)
      for (const [what, headers] of [
        ['no token', {}],
        ['a forged token', { authorization: 'Bearer not.a.token' }],
      ] as const)
        for (const size of [1.5 * MiB, 3 * MiB]) {
          const res = await post(path, malformed(size), headers);
          expect({ path, what, size, ...res }).toEqual({
            path,
            what,
            size,
            status: 401,
            code: what === 'no token' ? 'unauthorized' : expect.any(String),
          });
        }
  });

  it('reads no more than a route needs once the caller is known: 413 past its limit', async () => {
    const auth = { authorization: `Bearer ${token}` };
    expect(await post('/api/v1/billing/checkout/create', malformed(1.5 * MiB), auth)).toEqual({
      status: 413,
      code: 'payload_too_large',
    });
    expect(await post('/api/v1/billing/checkout/create', malformed(300 * 1024), auth)).toEqual({
      status: 413,
      code: 'payload_too_large',
    });
    // A batch of usage may be large: read and parsed (and found malformed) up to its own limit.
    expect(await post('/api/v1/billing/report_usage', malformed(1.5 * MiB), auth)).toEqual({
      status: 400,
      code: 'invalid_json',
    });
    expect(await post('/api/v1/billing/report_usage', malformed(3 * MiB), auth)).toEqual({
      status: 413,
      code: 'payload_too_large',
    });
  });

  it("keeps the Stripe event route's raw-body limit: read to check the signature, refused past 2 MiB", async () => {
    const signature = { 'stripe-signature': 't=1,v1=00' };
    const event = JSON.stringify({ id: 'evt_large', type: 'invoice.paid', pad: 'x'.repeat(1.5 * MiB) });
    expect(await post('/api/v1/billing/webhooks/stripe', event, signature)).toEqual({
      status: 400,
      code: 'invalid_signature',
    });
    expect(await post('/api/v1/billing/webhooks/stripe', malformed(3 * MiB), signature)).toEqual({
      status: 413,
      code: 'payload_too_large',
    });
  });
});
