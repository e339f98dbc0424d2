import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest, type Server } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Koa from 'koa';
import { service } from '../../tools/cluster/topology';

/* eslint-disable @typescript-eslint/no-require-imports */
const { ensureNginx, renderBalancerConfig, writeNginxConfig } = require('../../tools/nginx') as {
  ensureNginx(): string;
  renderBalancerConfig(values: Record<string, string>): string;
  writeNginxConfig(dir: string, values: Record<string, string>): string;
};
/* eslint-enable @typescript-eslint/no-require-imports */

const TEMPLATE = join(__dirname, '..', '..', 'ops', 'nginx', 'billing-api.conf.template');
const PUBLIC_BASE_URL = 'https://billing.example.com';

/** The proxy_set_header lines of the rendered server block: header name (lower case) → value. */
function headersSet(conf: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of conf.matchAll(/^\s*proxy_set_header\s+(\S+)\s+(.+?);\s*$/gm))
    out.set(m[1]!.toLowerCase(), m[2]!);
  return out;
}

// The engine believes X-Forwarded-* because TRUST_PROXY=1 says this one proxy writes them: nginx must
// write them from what it knows itself, whatever the client sent.
describe("the balancer's nginx configuration (ops/nginx, npm run cluster and docker-compose)", () => {
  const values = {
    API_1_ADDRESS: '127.0.0.1:1',
    API_2_ADDRESS: '127.0.0.1:2',
    API_ACCESS_ADDRESS: '127.0.0.1:4',
    BALANCER_LISTEN: '127.0.0.1:3',
    PUBLIC_BASE_URL,
  };

  it('is filled in from the names the topology (and so docker-compose) gives the balancer, and no other', () => {
    const names = [...readFileSync(TEMPLATE, 'utf8').matchAll(/\$\{([A-Z0-9_]+)\}/g)].map((m) => m[1]);
    expect([...new Set(names)].sort()).toEqual([...service('balancer').env].sort());
    expect(renderBalancerConfig(values)).not.toMatch(/\$\{[A-Z0-9_]+\}/);
  });

  it('overwrites Host and every X-Forwarded-* header, reading none of what the client sent', () => {
    const conf = renderBalancerConfig(values);
    const set = headersSet(conf);
    // The public host is read from PUBLIC_BASE_URL (a constant of the configuration), never from a header.
    expect(conf).toContain(`map "${PUBLIC_BASE_URL}" $billing_public_host`);
    expect(set.get('host')).toBe('$billing_public_host');
    expect(set.get('x-forwarded-host')).toBe('$billing_public_host');
    expect(set.get('x-forwarded-proto')).toBe('$scheme');
    // Set to the peer's address, not appended to the client's list ($proxy_add_x_forwarded_for).
    expect(set.get('x-forwarded-for')).toBe('$remote_addr');
    expect(set.get('forwarded')).toBe('""');
    expect(conf).not.toMatch(/\$http_|\$proxy_add_x_forwarded_for|\$host\b/);
  });
});

describe('requests through the real nginx', () => {
  let dir: string;
  let nginx: ChildProcess;
  let balancer: string;
  const upstreams = new Map<string, Server>();
  const seen: {
    server: string;
    method: string;
    url: string;
    host: string;
    protocol: string;
    ip: string;
    headers: Record<string, unknown>;
  }[] = [];

  /** Upstreams that take a request and die on it, as a process SIGKILLed in the middle of one. */
  const dying = new Set<string>();

  /** An upstream that reads the request as the engine does with TRUST_PROXY=1 (api/app.ts). */
  function startUpstream(name: string): Promise<number> {
    const app = new Koa({ proxy: true, maxIpsCount: 1 });
    app.use((ctx) => {
      if (dying.has(name)) {
        ctx.req.socket.destroy();
        return;
      }
      seen.push({
        server: name,
        method: ctx.method,
        url: ctx.url,
        host: ctx.host,
        protocol: ctx.protocol,
        ip: ctx.ip,
        headers: { ...ctx.headers },
      });
      ctx.body = 'ok';
    });
    return new Promise((ok) => {
      const server = app.listen(0, '127.0.0.1', () => ok((server.address() as AddressInfo).port));
      upstreams.set(name, server);
    });
  }

  beforeAll(async () => {
    const [a, b, lane] = [
      await startUpstream('api-1'),
      await startUpstream('api-2'),
      await startUpstream('api-access'),
    ];
    const port = await new Promise<number>((ok) => {
      const probe = createServer();
      probe.listen(0, '127.0.0.1', () => {
        const free = (probe.address() as AddressInfo).port;
        probe.close(() => ok(free));
      });
    });
    dir = mkdtempSync(join(tmpdir(), 'balancer-'));
    const conf = writeNginxConfig(dir, {
      API_1_ADDRESS: `127.0.0.1:${a}`,
      API_2_ADDRESS: `127.0.0.1:${b}`,
      API_ACCESS_ADDRESS: `127.0.0.1:${lane}`,
      BALANCER_LISTEN: `127.0.0.1:${port}`,
      PUBLIC_BASE_URL,
    });
    nginx = spawn(ensureNginx(), ['-p', dir, '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    nginx.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    balancer = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (
        await fetch(balancer).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      if (Date.now() > deadline || nginx.exitCode !== null) throw new Error(`nginx did not start: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    seen.length = 0;
  }, 30_000);

  afterAll(async () => {
    nginx?.kill('SIGTERM');
    await Promise.all(
      [...upstreams.values()].map((s) => new Promise((r) => (s.listening ? s.close(r) : r(undefined)))),
    );
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** fetch() will not send a Host of our choosing, nor a path it has not normalised; node:http will. */
  function send(method: string, path: string, headers: Record<string, string> = {}): Promise<number> {
    return new Promise((ok, fail) => {
      const req = httpRequest(`${balancer}${path}`, { method, headers }, (res) => {
        res.resume();
        res.on('end', () => ok(res.statusCode ?? 0));
      });
      req.on('error', fail);
      req.end();
    });
  }

  it('reaches the API with the public host, nginx’s own scheme and the real client address only', async () => {
    const forged = {
      Host: 'attacker.example',
      'X-Forwarded-Host': 'attacker.example',
      'X-Forwarded-For': '203.0.113.7',
      'X-Forwarded-Proto': 'https',
      Forwarded: 'for=203.0.113.7;host=attacker.example;proto=https',
    };
    seen.length = 0;
    // Both APIs, in turn.
    const get = () => send('GET', '/anything', forged);
    expect([await get(), await get()]).toEqual([200, 200]);
    expect(seen.map((r) => r.server).sort()).toEqual(['api-1', 'api-2']);
    for (const request of seen) {
      expect({ host: request.host, protocol: request.protocol, ip: request.ip }).toEqual({
        host: 'billing.example.com',
        protocol: 'http',
        ip: '127.0.0.1',
      });
      expect(request.headers['x-forwarded-for']).toBe('127.0.0.1');
      expect(request.headers.host).toBe('billing.example.com');
      expect(request.headers.forwarded).toBeUndefined();
    }
  });

  // The gateway's questions before a model call, as the engine's router matches them (case aside, a
  // trailing slash allowed, a query string beside).
  const LANE_PATHS: [string, string][] = [
    ['POST', '/api/v1/subscriptions/check-access/llm'],
    ['POST', '/api/v1/subscriptions/check-access/llm?customer_email=a%40example.com'],
    ['GET', '/api/v1/entitlements'],
    ['GET', '/api/v1/entitlements/'],
    ['GET', '/api/v1/entitlements/check?feature=gpt-4o'],
    ['POST', '/api/v1/entitlements/check'],
    ['GET', '/api/v1/entitlements/snapshot'],
    ['GET', '/api/v1/entitlements/jwks.json'],
    ['GET', '/API/V1/Entitlements/Check'],
  ];
  // Everything else, however near a lane path it is written: the lane would refuse it (404), the APIs serve it.
  const API_PATHS: [string, string][] = [
    ['POST', '/api/v1/billing/report_usage'],
    ['GET', '/api/v1/subscriptions/my-access'],
    ['POST', '/api/v1/subscriptions/check-access/'],
    ['POST', '/api/v1/subscriptions/check-access/llm/extra'],
    ['GET', '/api/v1/entitlementsx'],
    ['GET', '/api/v1/entitlements/checkx'],
    ['GET', '/api/v1/entitlements/jwks.jsonx'],
    ['GET', '/api/v1/entitlements/jwksxjson'],
    ['GET', '/api/v1/admin/billing/customers/a%40example.com/entitlements'],
    ['POST', '/api/v1/entitlements/check/../../billing/report_usage'],
    ['POST', '/api/v1/entitlements/%2e%2e/billing/report_usage'],
    ['GET', '/api/v2/entitlements'],
    ['GET', '/x/api/v1/entitlements'],
    ['GET', '/api/v1/entitlements.json'],
  ];

  it("sends the gateway's checks to the access lane and every other path to the APIs", async () => {
    seen.length = 0;
    for (const [method, path] of [...LANE_PATHS, ...API_PATHS]) expect(await send(method, path)).toBe(200);
    const servedBy = (server: (s: string) => boolean) =>
      seen.filter((r) => server(r.server)).map((r) => `${r.method} ${r.url}`);
    expect(servedBy((s) => s === 'api-access')).toEqual(LANE_PATHS.map(([m, p]) => `${m} ${p}`));
    expect(servedBy((s) => s !== 'api-access')).toHaveLength(API_PATHS.length);
    // The lane's requests carry the headers the APIs' do.
    const lane = seen.find((r) => r.server === 'api-access')!;
    expect({ host: lane.host, ip: lane.ip, forwarded: lane.headers.forwarded }).toEqual({
      host: 'billing.example.com',
      ip: '127.0.0.1',
      forwarded: undefined,
    });
  });

  it("has the APIs answer the lane's paths while the lane dies and while it is down", async () => {
    // Killed with checks in progress: each it took is asked of an API (a check changes nothing, a POST
    // one included), none answered 502.
    dying.add('api-access');
    seen.length = 0;
    for (const [method, path] of LANE_PATHS) expect(await send(method, path)).toBe(200);
    expect(seen.map((r) => r.server).filter((s) => s === 'api-access')).toEqual([]);
    expect(seen).toHaveLength(LANE_PATHS.length);
    // A report is not asked twice: one an API took and died on is the caller's to send again.
    dying.add('api-1');
    dying.add('api-2');
    expect(await send('POST', '/api/v1/billing/report_usage')).toBe(502);
    dying.clear();

    const lane = upstreams.get('api-access')!;
    lane.close();
    // Its connections nginx keeps alive as well: a lane killed leaves none.
    lane.closeAllConnections();
    seen.length = 0;
    for (const [method, path] of LANE_PATHS) expect(await send(method, path)).toBe(200);
    expect(seen.map((r) => r.server).filter((s) => s === 'api-access')).toEqual([]);
    expect(seen).toHaveLength(LANE_PATHS.length);
  });
});
