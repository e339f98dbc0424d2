import { createServer } from 'node:net';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const freePortModule = require('../../tools/free-port') as {
  freePort: () => Promise<number>;
  ephemeralStart: () => number;
  FLOOR: number;
};
const { freePort, ephemeralStart, FLOOR } = freePortModule;

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

describe('freePort', () => {
  it('gives ports below the range the OS hands to outgoing connections, above the services floor', async () => {
    const start = ephemeralStart();
    const ports = [];
    for (let i = 0; i < 20; i++) ports.push(await freePort());
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(FLOOR);
      expect(port).toBeLessThan(start);
    }
    // picked at random, so two callers starting together rarely get the same one
    expect(new Set(ports).size).toBeGreaterThan(15);
  });

  it('gives a port the caller can bind', async () => {
    const port = await freePort();
    await expect(bindable(port)).resolves.toBe(true);
  });
});
