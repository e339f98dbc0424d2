import { z } from 'zod';
import type { AnyRoute } from '../../api/routing/define-route';
import {
  checkDeclaredResponse,
  ResponseSchemaMismatch,
  routeFor,
  startTestApi,
  type TestApi,
} from '../helpers/api';
import { openTestDatabase } from '../helpers/db';

type Operation = {
  responses: Record<string, { content?: Record<string, { schema?: Record<string, unknown> }> }>;
};

describe('declared response schemas', () => {
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

  it('every mounted route declares the schema of its answer, whoever added the route', () => {
    const undeclared = api.routes
      .filter((r) => r.response === undefined)
      .map((r) => `${r.method.toUpperCase()} ${r.fullPath}`);
    expect(undeclared).toEqual([]);
  });

  it('every operation in /openapi.json carries a schema for its success status', async () => {
    const { body } = await api.request('GET', '/openapi.json');
    const missing: string[] = [];
    for (const [path, ops] of Object.entries(body.paths as Record<string, Record<string, Operation>>)) {
      for (const [method, op] of Object.entries(ops)) {
        const success = Object.entries(op.responses).filter(([status]) => /^2\d\d$/.test(status));
        const described = success.some(([, r]) =>
          Object.values(r.content ?? {}).some((c) => c.schema && Object.keys(c.schema).length > 0),
        );
        if (!described) missing.push(`${method.toUpperCase()} ${path}`);
      }
    }
    expect(missing).toEqual([]);
    // The PDF route says it answers a PDF, not JSON.
    const pdf = body.paths['/api/v1/billing/invoice/{stripe_invoice_id}/pdf'].get as Operation;
    expect(Object.keys(pdf.responses['200']?.content ?? {})).toEqual(['application/pdf']);
  });

  it('publishes answers as the engine sends them: a field that can be null says so', async () => {
    const { body } = await api.request('GET', '/openapi.json');
    const schema = body.paths['/api/v1/billing/subscription'].get.responses['200'].content['application/json']
      .schema as { anyOf: { properties: Record<string, unknown> }[] };
    const withSubscription = schema.anyOf[0]!.properties;
    expect(withSubscription['current_period_end']).toEqual({
      anyOf: [expect.objectContaining({ type: 'string', format: 'date-time' }), { type: 'null' }],
    });
    expect(withSubscription['amount_cents']).toMatchObject({ type: 'integer' });
  });
});

describe('the test API holds 2xx answers to their route’s declared schema', () => {
  const routes = [
    {
      method: 'get',
      fullPath: '/api/v1/things/:id',
      response: z.object({ id: z.string(), count: z.number().int() }),
    },
    { method: 'get', fullPath: '/api/v1/things/list', response: z.array(z.string()) },
  ] as unknown as AnyRoute[];

  it('matches a request to the route Koa would serve it with, query string aside', () => {
    expect(routeFor(routes, 'GET', '/api/v1/things/abc?x=1')?.fullPath).toBe('/api/v1/things/:id');
    expect(routeFor(routes, 'POST', '/api/v1/things/abc')).toBeUndefined();
    expect(routeFor(routes, 'GET', '/api/v1/things/abc/more')).toBeUndefined();
  });

  it('fails the request when a 2xx answer breaks the schema, naming the route and the field', () => {
    expect(() =>
      checkDeclaredResponse(routes, 'GET', '/api/v1/things/abc', {
        status: 200,
        body: { id: 'abc', count: 1.5 },
        json: true,
      }),
    ).toThrow(ResponseSchemaMismatch);
    expect(() =>
      checkDeclaredResponse(routes, 'GET', '/api/v1/things/abc', {
        status: 200,
        body: { id: 'abc', count: null },
        json: true,
      }),
    ).toThrow(/GET \/api\/v1\/things\/:id.*count/);
  });

  it('lets through answers that keep to the schema, errors, and bodies that are not JSON', () => {
    const check = (status: number, body: unknown, json = true) =>
      checkDeclaredResponse(routes, 'GET', '/api/v1/things/abc', { status, body, json });
    expect(() => check(200, { id: 'abc', count: 2, extra: true })).not.toThrow();
    expect(() => check(404, { error: { code: 'not_found', message: 'no' } })).not.toThrow();
    expect(() => check(200, '%PDF-1.7', false)).not.toThrow();
  });
});
