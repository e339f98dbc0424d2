import { SEED_RESPONSE_EXAMPLES } from '../../api/seed-examples';
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

  it("shows the contract's own example answers where it gives one, on routes that exist", async () => {
    const doc = (await api.request('GET', '/openapi.json')).body as {
      paths: Record<
        string,
        Record<string, { responses: Record<string, { content?: Record<string, { example?: unknown }> }> }>
      >;
    };
    const exampleAt = (key: string) => {
      const [method, fullPath] = key.split(' ') as [string, string];
      const route = api.routes.find((r) => r.method === method && r.fullPath === fullPath);
      const path = fullPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      return {
        route,
        example:
          doc.paths[path]?.[method]?.responses[String(route?.status ?? 200)]?.content?.['application/json']
            ?.example,
      };
    };
    for (const key of Object.keys(SEED_RESPONSE_EXAMPLES))
      expect({ key, found: Boolean(exampleAt(key).route) }).toEqual({ key, found: true });
    expect(exampleAt('get /api/v1/billing/subscription').example).toMatchObject({
      tier: 'professional',
      status: 'active',
      amount: 49,
      current_period_end: '2025-10-08T00:00:00.000Z',
    });
    expect(exampleAt('get /api/v1/billing/usage').example).toMatchObject({
      credits: { included_credits: 500, used: 585, overage: 85, overage_cost: 0.17 },
    });
    expect(exampleAt('get /api/v1/admin/billing/stats').example).toMatchObject({
      total_customers: 150,
      monthly_revenue: 5880,
    });
  });
});
