import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MikroORM } from '@mikro-orm/core';
import { openDatabase } from '../../db/orm';
import { startTestApi, type TestApi } from '../helpers/api';

/* eslint-disable @typescript-eslint/no-require-imports */
const { startPostgres, createDatabase } = require('../../tools/postgres') as {
  startPostgres(o: { dir: string }): Promise<{
    url: string;
    restart(o?: { crash?: boolean }): void;
    start(): void;
    stop(o?: { crash?: boolean }): void;
  }>;
  createDatabase(cluster: string, name: string): string;
};
/* eslint-enable @typescript-eslint/no-require-imports */

jest.setTimeout(120_000);

/**
 * A request that meets the database gone (crashed, restarting) is answered 503 with Retry-After, not 500:
 * its outcome may be unknown (a commit cut off), and a caller of an idempotent call, the gateway's usage
 * reports above all, must know to send it again rather than count it refused (the chaos run found events
 * stored that the gateway had been told failed).
 */
describe('when the database is unreachable', () => {
  let dir: string;
  let pg: Awaited<ReturnType<typeof startPostgres>>;
  let orm: MikroORM;
  let api: TestApi;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'db-down-'));
    chmodSync(dir, 0o755);
    pg = await startPostgres({ dir });
    const url = createDatabase(pg.url, 'billing');
    orm = await openDatabase(url);
    api = await startTestApi({ orm, env: { DATABASE_URL: url } });
  });
  afterAll(async () => {
    await api?.stop();
    await orm?.close(true).catch(() => undefined);
    pg?.stop({ crash: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 database_unavailable with Retry-After, and serves again once it is back', async () => {
    expect((await api.request('GET', '/api/v1/plans/credit-packs')).status).toBe(200);
    pg.stop({ crash: true });
    const down = await api.request('GET', '/api/v1/plans/credit-packs');
    expect({
      status: down.status,
      code: down.body.error.code,
      retryAfter: down.headers.get('retry-after'),
    }).toEqual({
      status: 503,
      code: 'database_unavailable',
      retryAfter: '1',
    });
    pg.start();
    let back = 0;
    for (let i = 0; i < 60 && back !== 200; i++) {
      back = (await api.request('GET', '/api/v1/plans/credit-packs')).status;
      if (back !== 200) await new Promise((r) => setTimeout(r, 500));
    }
    expect(back).toBe(200);
  });
});
