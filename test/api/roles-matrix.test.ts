import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { matrixIn, rolesMatrix, tableCells } from '../../api/roles-matrix';
import { startTestApi, type TestApi } from '../helpers/api';
import { openTestDatabase } from '../helpers/db';

describe('the roles matrix in docs/api.md', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let api: TestApi;
  beforeAll(async () => {
    db = await openTestDatabase('sqlite');
    api = await startTestApi({ orm: db.orm });
  });
  afterAll(async () => {
    await api.stop();
    await db.close();
  });

  it('lists every route with exactly the callers its declared access lets in (regenerate: npx tsx api/roles-matrix-cli.ts --write)', () => {
    const page = readFileSync(join(__dirname, '..', '..', 'docs', 'api.md'), 'utf8');
    const documented = matrixIn(page);
    expect(documented).not.toBeNull();
    expect(tableCells(documented!)).toEqual(tableCells(rolesMatrix(api.routes)));
  });

  it('covers every operation of /openapi.json, and marks the key read as the gateway alone', async () => {
    const rows = tableCells(rolesMatrix(api.routes));
    const [header, ...body] = rows;
    expect(header).toEqual(['method', 'path', 'anonymous', 'viewer', 'editor', 'admin', 'billing-gateway']);
    const doc = (await api.request('GET', '/openapi.json')).body as { paths: Record<string, object> };
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} \`${path}\``),
    );
    expect(body.map((r) => `${r[0]} ${r[1]}`).sort()).toEqual(operations.sort());
    expect(body.find((r) => r[1] === '`/api/v1/byok/gateway/keys/{provider}`')).toEqual([
      'GET',
      '`/api/v1/byok/gateway/keys/{provider}`',
      '',
      '',
      '',
      '',
      '✓',
    ]);
  });
});
