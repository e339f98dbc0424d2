import { connect } from 'node:net';
import { startTestApi, type TestApi } from '../helpers/api';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { openTestDatabase } from '../helpers/db';
import { seedSubscriber } from '../usage/fixtures';

/** The first answer's status and body to bytes written as they are on one connection. */
function raw(url: string, bytes: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    // Written, not ended: the server closes the connection once it has answered (Connection: close).
    const socket = connect(Number(port), hostname, () => socket.write(bytes));
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString('utf8')));
    socket.on('error', reject);
    socket.on('close', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      // The first answer's body: its own length, whatever came after it on the connection.
      const head = text.indexOf('\r\n\r\n');
      const length = Number(/content-length: (\d+)/i.exec(text.slice(0, head))?.[1] ?? 0);
      resolve({ status, body: text.slice(head + 4, head + 4 + length) });
    });
  });
}

/**
 * A POST's body as HTTP/1.1 frames it, or does not: no length and no chunks (no body, not waited for), a
 * length of zero, chunks that end at once, chunks that carry JSON, and bytes sent after a length of zero,
 * which are the connection's next request (not one HTTP/1.1 can parse) and never this one's body.
 */
describe('request bodies however a POST frames them', () => {
  let idp: TestIdp;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let api: TestApi;
  let token: string;

  beforeAll(async () => {
    [idp, db] = await Promise.all([startTestIdp(), openTestDatabase('sqlite')]);
    api = await startTestApi({ orm: db.orm, env: { OIDC_ISSUER: idp.issuer, OIDC_JWKS_URL: idp.jwksUrl } });
    const { sub } = await seedSubscriber(db.orm, {
      email: 'bodies@example.com',
      plan: 'starter',
      periodStart: new Date(Date.now() - 86_400_000),
    });
    token = await idp.token({ sub, email: 'bodies@example.com' });
  });
  afterAll(async () => {
    await api?.stop();
    await Promise.all([idp?.stop(), db?.close()]);
  });

  const post = (path: string, headers: string[], body = '') =>
    raw(
      api.url,
      [
        `POST ${path} HTTP/1.1`,
        'Host: localhost',
        `Authorization: Bearer ${token}`,
        'Content-Type: application/json',
        'Connection: close',
        ...headers,
        '',
        body,
      ].join('\r\n'),
    );
  const json = JSON.stringify({ feature: 'api_calls', quantity: 1 });
  const framings: [string, string[], string][] = [
    ['neither a length nor chunks', [], ''],
    ['a length of zero', ['Content-Length: 0'], ''],
    ['chunks that end at once', ['Transfer-Encoding: chunked'], '0\r\n\r\n'],
  ];

  it.each(framings)(
    'takes %s as no body: a route that needs one refuses it, one that does not answers',
    async (_, headers, body) => {
      const check = await post('/api/v1/entitlements/check', headers, body);
      expect(check.status).toBe(400);
      expect(JSON.parse(check.body).error).toMatchObject({
        code: 'validation_failed',
        details: { field: 'body.feature' },
      });
      const access = await post('/api/v1/subscriptions/check-access/api', headers, body);
      expect(access.status).toBe(200);
      expect(JSON.parse(access.body)).toMatchObject({ allowed: true });
    },
  );

  it('reads a body sent in chunks, or with its length, as the same JSON', async () => {
    const half = Math.floor(json.length / 2);
    const chunks = [json.slice(0, half), json.slice(half)]
      .map((c) => `${Buffer.byteLength(c).toString(16)}\r\n${c}\r\n`)
      .join('');
    const chunked = await post(
      '/api/v1/entitlements/check',
      ['Transfer-Encoding: chunked'],
      `${chunks}0\r\n\r\n`,
    );
    const sized = await post(
      '/api/v1/entitlements/check',
      [`Content-Length: ${Buffer.byteLength(json)}`],
      json,
    );
    expect(chunked.status).toBe(200);
    expect(JSON.parse(chunked.body)).toEqual(JSON.parse(sized.body));
    expect(JSON.parse(chunked.body)).toMatchObject({ allowed: true, limit: 1000 });
  });

  it('never reads bytes after a length of zero as the body: they are the next request, refused', async () => {
    const smuggled = await post('/api/v1/entitlements/check', ['Content-Length: 0'], json);
    expect(smuggled.status).toBe(400);
    expect(smuggled.body).not.toContain('allowed');
  });
});
