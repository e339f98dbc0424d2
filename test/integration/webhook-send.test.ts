import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendWebhook, type Resolver } from '../../integrations/webhooks/send';

/** A local server whose handler the test sets; counts what reaches it. */
async function server(handle: (req: IncomingMessage, res: ServerResponse) => void) {
  const hits: string[] = [];
  const s: Server = createServer((req, res) => {
    hits.push(req.url ?? '');
    handle(req, res);
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  return {
    port,
    hits,
    stop: () =>
      new Promise<void>((r) => {
        s.closeAllConnections();
        s.close(() => r());
      }),
  };
}

/** A resolver that answers one address for every name, as a hostile DNS server would. */
const resolvesTo =
  (address: string): Resolver =>
  (_host, _opts, cb) =>
    cb(null, [{ address, family: address.includes(':') ? 6 : 4 }]);

const open = { production: false, allowPrivate: true, timeoutMs: 2000 };
const closed = { production: false, allowPrivate: false, timeoutMs: 2000 };

describe('sending one webhook', () => {
  it('refuses a public-looking name that resolves to a private address, and sends nothing', async () => {
    const s = await server((_req, res) => res.end('ok'));
    try {
      const r = await sendWebhook(`http://hooks.example.com:${s.port}/in`, {}, '{}', {
        ...closed,
        resolve: resolvesTo('127.0.0.1'),
      });
      expect(r).toMatchObject({ ok: false, statusCode: null, error: 'webhook_url_private' });
      expect(s.hits).toEqual([]);
    } finally {
      await s.stop();
    }
  });

  it('connects to the address it checked (a name resolved once, not again by the connection)', async () => {
    const s = await server((_req, res) => res.end('thanks'));
    try {
      const r = await sendWebhook(`http://hooks.example.com:${s.port}/in`, {}, '{}', {
        ...open,
        resolve: resolvesTo('127.0.0.1'),
      });
      expect(r).toMatchObject({ ok: true, statusCode: 200, error: null, excerpt: 'thanks' });
      expect(s.hits).toEqual(['/in']);
    } finally {
      await s.stop();
    }
  });

  it('refuses a name when any one of its addresses is private', async () => {
    const mixed: Resolver = (_h, _o, cb) =>
      cb(null, [
        { address: '93.184.216.34', family: 4 },
        { address: '10.0.0.7', family: 4 },
      ]);
    const r = await sendWebhook('http://hooks.example.com/in', {}, '{}', { ...closed, resolve: mixed });
    expect(r.error).toBe('webhook_url_private');
  });

  it('refuses a private literal address at send time too, whatever was allowed when it was saved', async () => {
    const r = await sendWebhook('http://169.254.169.254/latest/meta-data', {}, '{}', closed);
    expect(r).toMatchObject({ ok: false, error: 'webhook_url_private', latencyMs: 0 });
  });

  it('does not follow a redirect: the attempt fails and the target is never asked', async () => {
    const target = await server((_req, res) => res.end('should not be reached'));
    const s = await server((_req, res) => {
      res.writeHead(307, { location: `http://127.0.0.1:${target.port}/elsewhere` });
      res.end();
    });
    try {
      const r = await sendWebhook(`http://127.0.0.1:${s.port}/in`, {}, '{}', open);
      expect(r).toMatchObject({ ok: false, statusCode: 307, error: 'redirect_not_followed' });
      expect(target.hits).toEqual([]);
    } finally {
      await Promise.all([s.stop(), target.stop()]);
    }
  });

  it('gives up on a receiver that never answers at the timeout', async () => {
    const s = await server(() => undefined);
    try {
      const r = await sendWebhook(`http://127.0.0.1:${s.port}/in`, {}, '{}', { ...open, timeoutMs: 300 });
      expect(r).toMatchObject({ ok: false, statusCode: null, error: 'timeout' });
      expect(r.latencyMs).toBeGreaterThanOrEqual(250);
    } finally {
      await s.stop();
    }
  });

  it('reads at most a little of a huge answer and keeps 500 printable characters', async () => {
    const s = await server((_req, res) => {
      res.writeHead(200);
      res.end('\u0007'.repeat(10) + 'y'.repeat(5_000_000));
    });
    try {
      const r = await sendWebhook(`http://127.0.0.1:${s.port}/in`, {}, '{}', open);
      expect(r.ok).toBe(true);
      expect(r.excerpt).toBe(`${'y'.repeat(500)}…`);
    } finally {
      await s.stop();
    }
  });

  it('reports a refused connection as the attempt failing, never as a throw', async () => {
    const s = await server((_req, res) => res.end());
    const port = s.port;
    await s.stop();
    const r = await sendWebhook(`http://127.0.0.1:${port}/in`, {}, '{}', open);
    expect(r).toMatchObject({ ok: false, statusCode: null, error: 'ECONNREFUSED' });
  });

  it('sends the signed headers and the exact body as JSON', async () => {
    let seen: { headers: IncomingMessage['headers']; body: string } | null = null;
    const s = await server((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen = { headers: req.headers, body };
        res.end();
      });
    });
    try {
      const body = JSON.stringify({ type: 'invoice.paid', note: 'ünïcödé ✓' });
      await sendWebhook(`http://127.0.0.1:${s.port}/in`, { 'webhook-id': 'bev_1' }, body, open);
      expect(seen!.body).toBe(body);
      expect(seen!.headers).toMatchObject({
        'webhook-id': 'bev_1',
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
      });
    } finally {
      await s.stop();
    }
  });
});
