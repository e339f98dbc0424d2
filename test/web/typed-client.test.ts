import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startTestApi, type TestApi } from '../helpers/api';
import { openTestDatabase } from '../helpers/db';

const run = promisify(execFile);
const root = join(__dirname, '..', '..');
const bin = (name: string) => join(root, 'node_modules', '.bin', name);

/**
 * The web app's client is typed from the OpenAPI document the API serves: a route that changes under it
 * fails the web build's type check, naming the place in the app that uses it.
 */
describe("the web app's typed API client", () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let api: TestApi;
  let served: { paths: Record<string, Record<string, unknown>> };
  // Under web/ (ignored by git), so the copies resolve React and the rest from the project's node_modules.
  const work = join(root, 'web', '.generated', `typecheck-${process.pid}`);

  beforeAll(async () => {
    db = await openTestDatabase('sqlite');
    api = await startTestApi({ orm: db.orm });
    served = (await api.request('GET', '/openapi.json')).body;
  });
  afterAll(async () => {
    await api?.stop();
    await db?.close();
    rmSync(work, { recursive: true, force: true });
  });

  /** Type-checks a copy of the app against types generated from `doc`; tsc's output, or '' when clean. */
  async function typecheckAgainst(name: string, doc: unknown): Promise<string> {
    const dir = join(work, name);
    mkdirSync(dir, { recursive: true });
    cpSync(join(root, 'web', 'src'), join(dir, 'src'), { recursive: true });
    writeFileSync(join(dir, 'openapi.json'), JSON.stringify(doc));
    await run(bin('openapi-typescript'), [
      join(dir, 'openapi.json'),
      '--output',
      join(dir, 'src/api/openapi.gen.ts'),
    ]);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        extends: '../../../tsconfig.json',
        include: ['src'],
        compilerOptions: { noEmit: true },
      }),
    );
    try {
      await run(bin('tsc'), ['--noEmit', '-p', dir]);
      return '';
    } catch (err) {
      return String((err as { stdout?: string }).stdout ?? err);
    }
  }

  it('compiles against the document the API serves', async () => {
    expect(await typecheckAgainst('served', served)).toBe('');
  }, 60_000);

  it('fails to compile when a route the app calls is gone or answers another shape', async () => {
    const changed = structuredClone(served);
    delete changed.paths['/api/v1/billing/usage'];
    const sub = changed.paths['/api/v1/billing/subscription']!.get as {
      responses: {
        200: { content: { 'application/json': { schema: { anyOf: { properties: object }[] } } } };
      };
    };
    for (const branch of sub.responses[200].content['application/json'].schema.anyOf) {
      delete (branch.properties as Record<string, unknown>).current_period_end;
    }
    const out = await typecheckAgainst('changed', changed);
    expect(out).toMatch(/src\/api\/client\.ts.*"\/api\/v1\/billing\/usage"' does not satisfy/);
    // The dashboard's call to the removed route, and each page reading the removed field.
    expect(out).toMatch(/src\/pages\/dashboard\.tsx\(\d+,\d+\): error TS2554/);
    for (const page of ['dashboard', 'cancel', 'change-plan', 'checkout-return'])
      expect(out).toMatch(new RegExp(`src/pages/${page}\\.tsx.*'current_period_end' does not exist`));
  }, 60_000);
});
