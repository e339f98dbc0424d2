import type { TestApi } from '../helpers/api';
import { startTestApi } from '../helpers/api';
import { openTestDatabase } from '../helpers/db';

describe('the examples in /openapi.json', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let api: TestApi;

  beforeAll(async () => {
    db = await openTestDatabase('sqlite');
    api = await startTestApi({ orm: db.orm });
  });
  afterAll(async () => {
    await api?.stop();
    await db?.close();
  });

  it('gives every route with a body or a JSON answer an example that its own schema accepts', async () => {
    const doc = (await api.request('GET', '/openapi.json')).body as {
      paths: Record<
        string,
        Record<
          string,
          {
            requestBody?: { content: Record<string, { example?: unknown }> };
            responses: Record<string, { content?: Record<string, { example?: unknown }> }>;
          }
        >
      >;
    };
    const wrong: string[] = [];
    let checked = 0;
    for (const route of api.routes) {
      const path = route.fullPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      const op = doc.paths[path]?.[route.method];
      if (route.body) {
        const example = op?.requestBody?.content['application/json']?.example;
        const parsed = route.body.safeParse(example);
        checked++;
        if (!parsed.success)
          wrong.push(
            `${route.method} ${path} request: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')} ${JSON.stringify(example)}`,
          );
      }
      if (route.response && (!route.produces || route.produces === 'application/json')) {
        const ok = op?.responses[String(route.status ?? 200)]?.content?.['application/json']?.example;
        const parsed = route.response.safeParse(ok);
        checked++;
        if (!parsed.success)
          wrong.push(
            `${route.method} ${path} answer: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`,
          );
      }
    }
    expect(checked).toBeGreaterThan(60);
    expect(wrong).toEqual([]);
  });
});
