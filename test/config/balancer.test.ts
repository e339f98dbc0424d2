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

describe('a forged Host and X-Forwarded-* through the real nginx', () => {
  let dir: string;
  let nginx: ChildProcess;
  let balancer: string;
  const upstreams: Server[] = [];
  const seen: { host: string; protocol: string; ip: string; headers: Record<string, unknown> }[] = [];

  /** An upstream that reads the request as the engine does with TRUST_PROXY=1 (api/app.ts). */
  function startUpstream(): Promise<number> {
    const app = new Koa({ proxy: true, maxIpsCount: 1 });
    app.use((ctx) => {
      seen.push({ host: ctx.host, protocol: ctx.protocol, ip: ctx.ip, headers: { ...ctx.headers } });
      ctx.body = 'ok';
    });
    return new Promise((ok) => {
      const server = app.listen(0, '127.0.0.1', () => ok((server.address() as AddressInfo).port));
      upstreams.push(server);
    });
  }

  beforeAll(async () => {
    const [a, b] = [await startUpstream(), await startUpstream()];
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
    await Promise.all(upstreams.map((s) => new Promise((r) => s.close(r))));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** fetch() will not send a Host of our choosing; node:http will. */
  function get(headers: Record<string, string>): Promise<number> {
    return new Promise((ok, fail) => {
      const req = httpRequest(`${balancer}/anything`, { headers }, (res) => {
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
    // Both upstreams, in turn.
    expect([await get(forged), await get(forged)]).toEqual([200, 200]);
    expect(seen).toHaveLength(2);
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
});
