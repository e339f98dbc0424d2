import type { Server } from 'node:http';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startMetricsServer } from '../../api/metrics-endpoint';
import { loadConfig } from '../../config/env';
import { listeningAddresses } from '../helpers/listening';

const TOKEN = 'metrics-listener-scrape-token';

/** A raw request, so headers fetch would refuse or normalise reach the listener as an attacker sends them. */
function send(port: number, opts: { method?: string; path?: string; headers?: Record<string, string> } = {}) {
  return new Promise<number>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: opts.method ?? 'GET',
        path: opts.path ?? '/metrics',
        headers: opts.headers,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('the metrics listener on METRICS_PORT', () => {
  const servers: Server[] = [];
  async function start(env: Record<string, string>) {
    const config = loadConfig({ NODE_ENV: 'test', METRICS_PORT: '0', ...env });
    const server = await startMetricsServer({ ...config, METRICS_PORT: 0 });
    servers.push(server);
    return { server, port: (server.address() as AddressInfo).port };
  }
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });

  it('listens on loopback only unless METRICS_HOST says otherwise', async () => {
    const { server, port } = await start({});
    expect((server.address() as AddressInfo).address).toBe('127.0.0.1');
    expect(listeningAddresses(port)).toEqual(['127.0.0.1']);
    const everywhere = await start({ METRICS_HOST: '0.0.0.0' });
    expect(listeningAddresses(everywhere.port)).toEqual(['0.0.0.0']);
  });

  it('refuses, with METRICS_TOKEN set, every scrape that does not carry exactly the token', async () => {
    const { port } = await start({ METRICS_TOKEN: TOKEN });
    const refused: Record<string, string | undefined>[] = [
      {},
      { authorization: '' },
      { authorization: 'Bearer' },
      { authorization: 'Bearer ' },
      { authorization: 'Bearer not-the-token' },
      { authorization: `Bearer ${TOKEN.slice(0, -1)}` },
      { authorization: `Bearer ${TOKEN}x` },
      { authorization: `Bearer ${TOKEN.toUpperCase()}` },
      { authorization: `Basic ${Buffer.from(`prometheus:${TOKEN}`).toString('base64')}` },
      { authorization: `Bearer ${TOKEN.replace('-', '\u2010')}` },
      { authorization: `Bearer ${'a'.repeat(8_000)}` },
      { 'x-metrics-token': TOKEN },
    ];
    for (const headers of refused) {
      const clean = Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined)) as Record<
        string,
        string
      >;
      // Latin-1 only on the wire: the look-alike hyphen goes as its UTF-8 bytes.
      for (const [k, v] of Object.entries(clean)) clean[k] = Buffer.from(v, 'utf8').toString('latin1');
      expect({ headers, status: await send(port, { headers: clean }) }).toEqual({ headers, status: 401 });
    }
    expect(await send(port, { path: `/metrics?token=${TOKEN}` })).toBe(401);
    expect(await send(port, { headers: { authorization: `Bearer ${TOKEN}` } })).toBe(200);
    expect(await send(port, { headers: { authorization: `bearer ${TOKEN}` } })).toBe(200);
    expect(await send(port, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } })).toBe(405);
    expect(await send(port, { path: '/other', headers: { authorization: `Bearer ${TOKEN}` } })).toBe(404);
  });

  it('answers without a token only when none is configured', async () => {
    const { port } = await start({});
    expect(await send(port)).toBe(200);
  });

  it('refuses a METRICS_HOST that is not an address', () => {
    for (const bad of ['0.0.0.0 ; rm', 'host/path', '127.0.0.1\n', 'ho st']) {
      expect(() => loadConfig({ NODE_ENV: 'test', METRICS_HOST: bad })).toThrow(/METRICS_HOST/);
    }
    expect(loadConfig({ NODE_ENV: 'test' }).METRICS_HOST).toBe('127.0.0.1');
  });
});
