import type { Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { API_SERVER_TIMEOUTS, createApiServer } from '../../api/http-server';

/** Sends `parts` on a raw socket, `gapMs` apart, and resolves with what came back once the server closed. */
function trickle(port: number, parts: string[], gapMs: number): Promise<{ answer: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    let timer: NodeJS.Timeout | undefined;
    socket.on('data', (d) => (answer += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ answer, ms: Date.now() - started });
    });
    const send = (i: number) => {
      if (i >= parts.length || socket.destroyed) return;
      socket.write(parts[i] as string);
      timer = setTimeout(() => send(i + 1), gapMs);
    };
    socket.on('connect', () => send(0));
    setTimeout(
      () => reject(new Error(`no close within 10 s; got ${JSON.stringify(answer)}`)),
      10_000,
    ).unref();
  });
}

describe("the API's HTTP server", () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createApiServer(
      (req, res) => {
        req.resume();
        req.on('end', () => res.end('ok'));
      },
      { requestTimeout: 1_500, headersTimeout: 700, keepAliveTimeout: 5_000, checkEvery: 100 },
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('answers 408 and hangs up on a caller who trickles the headers', async () => {
    const headers = [
      'POST / HTTP/1.1\r\n',
      'Host: x\r\n',
      ...Array.from({ length: 40 }, (_, i) => `X-${i}: y\r\n`),
    ];
    const { answer, ms } = await trickle(port, headers, 100);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(ms).toBeLessThan(3_000);
  });

  it('answers 408 and hangs up on a caller who trickles the body', async () => {
    const head =
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n';
    const { answer, ms } = await trickle(port, [head, ...Array.from({ length: 99 }, () => ' ')], 100);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(ms).toBeLessThan(4_000);
  });

  it('still serves a caller who sends at a normal pace', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: 'x'.repeat(1000) });
    expect(await res.text()).toBe('ok');
  });

  it("gives a request 30 s, its headers 20 s, and keeps idle connections past a load balancer's 60 s", () => {
    expect(API_SERVER_TIMEOUTS).toEqual({
      requestTimeout: 30_000,
      headersTimeout: 20_000,
      keepAliveTimeout: 65_000,
      checkEvery: 5_000,
    });
  });
});
