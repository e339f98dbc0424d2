import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { postBody } from '../../tools/stripe-emulator/post';

/** A local server answering each post with its status after `delayMs`, counting the connections it took. */
async function receiver(opts: { status?: number; delayMs?: number; keepAliveTimeoutMs?: number } = {}) {
  const bodies: string[] = [];
  let connections = 0;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      bodies.push(body);
      setTimeout(() => res.writeHead(opts.status ?? 200).end('{}'), opts.delayMs ?? 0);
    });
  });
  server.keepAliveTimeout = opts.keepAliveTimeoutMs ?? 5_000;
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return {
    url,
    bodies,
    connections: () => connections,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

describe("the emulator's webhook post", () => {
  it('delivers each body whole with its status, over one kept connection', async () => {
    const r = await receiver({ status: 202 });
    try {
      const statuses = [];
      for (const body of ['{"a":1}', '{"é":"ü"}', 'x'.repeat(100_000)])
        statuses.push(await postBody(r.url, { 'content-type': 'application/json' }, body, 5_000));
      expect(statuses).toEqual([202, 202, 202]);
      expect(r.bodies).toEqual(['{"a":1}', '{"é":"ü"}', 'x'.repeat(100_000)]);
      expect(r.connections()).toBe(1);
    } finally {
      await r.close();
    }
  });

  it('still delivers after the receiver closed the idle connection', async () => {
    const r = await receiver({ keepAliveTimeoutMs: 50 });
    try {
      expect(await postBody(r.url, {}, 'first', 5_000)).toBe(200);
      await new Promise((done) => setTimeout(done, 200));
      expect(await postBody(r.url, {}, 'second', 5_000)).toBe(200);
      expect(r.bodies).toEqual(['first', 'second']);
    } finally {
      await r.close();
    }
  });

  it('fails a post the receiver does not answer in time, and one nothing listens for', async () => {
    const slow = await receiver({ delayMs: 1_000 });
    try {
      await expect(postBody(slow.url, {}, 'late', 100)).rejects.toThrow(/no answer within 100 ms/);
    } finally {
      await slow.close();
    }
    await expect(postBody(slow.url, {}, 'nobody', 1_000)).rejects.toThrow(/ECONNREFUSED/);
    await expect(postBody('ftp://127.0.0.1/hook', {}, 'x', 1_000)).rejects.toThrow(/unsupported URL/);
  });
});
