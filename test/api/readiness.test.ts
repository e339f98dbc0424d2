import { Writable } from 'node:stream';
import pino from 'pino';
import { startTestApi, type TestApi } from '../helpers/api';
import { openTestDatabase } from '../helpers/db';

describe('/readyz, which anyone may call', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let api: TestApi;
  const logged: { msg: string; check?: string; err?: { message?: string } }[] = [];

  beforeAll(async () => {
    db = await openTestDatabase('sqlite');
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString('utf8').split('\n')) if (line) logged.push(JSON.parse(line));
        done();
      },
    });
    // Temporal at 127.0.0.1:1, where nothing listens (the helper's default).
    api = await startTestApi({ orm: db.orm, logger: pino({ level: 'warn' }, sink) });
  });
  afterAll(async () => {
    await api?.stop();
  });

  it('answers a fixed word per failed check, never the error, which goes to the log', async () => {
    // The database goes away too: its driver's error names the file, Temporal's the address and port.
    await db.close();
    const res = await fetch(`${api.url}/readyz`);
    const text = await res.text();
    expect({ status: res.status, body: JSON.parse(text) }).toEqual({
      status: 503,
      body: {
        status: 'not_ready',
        checks: { database: 'unavailable', temporal: 'unavailable', worker: 'unavailable' },
      },
    });
    for (const leak of ['127.0.0.1', ':1', 'UNAVAILABLE', 'ECONNREFUSED', 'sqlite', 'closed', 'Error'])
      expect(text).not.toContain(leak);
    const failures = logged.filter((l) => l.msg === 'readiness check failed');
    expect(failures.map((l) => l.check).sort()).toEqual(['database', 'temporal', 'worker']);
    expect(failures.every((l) => typeof l.err?.message === 'string' && l.err.message.length > 0)).toBe(true);
  });
});
