import { Writable } from 'node:stream';
import pino from 'pino';
import { startTestApi, type TestApi } from '../helpers/api';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { openTestDatabase } from '../helpers/db';

describe('the access log', () => {
  let idp: TestIdp;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let api: TestApi;
  const lines: { msg: string; status?: number; path?: string; method?: string }[] = [];

  beforeAll(async () => {
    [idp, db] = await Promise.all([startTestIdp(), openTestDatabase('sqlite')]);
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line));
        done();
      },
    });
    api = await startTestApi({
      orm: db.orm,
      env: { OIDC_ISSUER: idp.issuer, OIDC_JWKS_URL: idp.jwksUrl },
      logger: pino({ level: 'info' }, sink),
    });
  });
  afterAll(async () => {
    await api.stop();
    await Promise.all([idp.stop(), db.close()]);
  });

  it('logs the status each client received, errors included', async () => {
    const user = await idp.token({ email: 'log@example.com' });
    const viewer = await idp.token({ email: 'viewer@example.com', roles: ['viewer'] });
    const requests: [string, string, { token?: string; body?: unknown }][] = [
      ['GET', '/api/v1/subscriptions/plans', {}],
      ['GET', '/api/v1/admin/audit-log', {}],
      ['GET', '/api/v1/admin/audit-log', { token: viewer }],
      ['GET', '/api/v1/nowhere', {}],
      ['POST', '/api/v1/billing/report_usage', { token: user, body: { id: 1 } }],
      ['DELETE', '/api/v1/subscriptions/plans', { token: user }],
      // Temporal is unreachable in this app: the request fails on our side.
      [
        'POST',
        '/api/v1/stripe/attach_payment_method',
        { token: user, body: { payment_method_id: 'pm_card_visa' } },
      ],
    ];
    const received: number[] = [];
    for (const [method, path, opts] of requests)
      received.push((await api.request(method, path, opts)).status);
    // Sanity: the requests cover success, client errors and a server-side failure.
    expect(received.slice(0, 6)).toEqual([200, 401, 403, 404, 400, 405]);
    expect(received[6]).toBeGreaterThanOrEqual(500);

    const logged = lines.filter((l) => l.msg === 'request').map((l) => l.status);
    expect(logged).toEqual(received);
  });
});
