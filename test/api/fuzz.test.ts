import { parse as parseQuery } from 'node:querystring';
import fc from 'fast-check';
import { z, type ZodType } from 'zod';
import { legacyUsageEvent, usageBatch, usageEvent } from '../../api/routes/usage/schemas';
import { GATEWAY_ROLE } from '../../domain/roles';
import { textProblem } from '../../domain/text';
import type { TestApi } from '../helpers/api';
import { startFullStack, type FullStack } from '../helpers/full-stack';
import type { TestIdp } from '../helpers/auth';
import { arbitraryFor, percentEncode, type Hints, type JsonSchema } from '../helpers/openapi-arbitraries';

/**
 * Schema-driven fuzzing of every operation in /openapi.json against the whole engine (real Temporal dev
 * server and worker, the Stripe emulator, SQLite): requests are generated from each operation's declared
 * parameters and body, with hostile values mixed in at every node, and sent as anonymous, a customer, an
 * editor, the AI gateway (billing-gateway role) and an admin. Any 5xx fails, so does a 2xx whose body breaks the declared response
 * schema, a 2xx to a request the operation's own schema refuses, an error not in the one error shape, and
 * a status the operation does not declare.
 */

const RUNS_PER_OPERATION = Number(process.env.FUZZ_RUNS ?? 40);

interface Operation {
  method: string;
  path: string;
  parameters: { name: string; in: 'path' | 'query'; required: boolean; schema: JsonSchema }[];
  requestBody?: { content: { 'application/json': { schema: JsonSchema } } };
  /** The statuses the operation declares: a client generated from the document knows these only. */
  responses: Record<string, unknown>;
}

interface Sample {
  caller: 'anonymous' | 'customer' | 'editor' | 'gateway' | 'admin';
  params: Record<string, unknown>;
  query: Record<string, unknown>;
  body: unknown;
}

interface Finding {
  operation: string;
  problem: string;
  status: number;
  response: unknown;
  request: string;
}

/** Values that exist in the engine, so generated requests also reach past "not found". */
const HINTS: Hints = {
  plan_id: ['trial', 'starter', 'professional', 'enterprise'],
  tier_id: ['trial', 'starter', 'professional', 'enterprise'],
  new_tier_id: ['trial', 'starter', 'professional', 'enterprise'],
  tier: ['trial', 'starter', 'professional'],
  email: ['fuzz-customer@example.com'],
  customer_email: ['fuzz-customer@example.com'],
  user_id: ['fuzz-customer'],
  service: ['chat', 'api', 'embeddings'],
  provider: ['openai', 'anthropic'],
  type: ['inference', 'embedding'],
  payment_method_id: ['pm_card_visa', 'pm_card_chargeDeclined'],
  price_monthly: ['19.99', 49, '0'],
  price_yearly: ['199.00', null],
  overage_price_per_1k: ['2.00', 0.15],
  status: ['active', 'active,past_due', 'canceled'],
};

/** report_usage declares any object (it tells the forms apart itself); generate the forms it takes. */
const BODIES: Record<string, JsonSchema> = {
  'POST /api/v1/billing/report_usage': z.toJSONSchema(
    z.union([
      usageEvent,
      legacyUsageEvent,
      usageBatch.extend({ events: z.array(usageEvent).min(1).max(20) }),
    ]),
    {
      io: 'input',
      unrepresentable: 'any',
    },
  ) as JsonSchema,
};

const accepted = (status: number) => status >= 200 && status < 300;

/** Would the route's own schema take this request? (The edge guard may refuse more; never less.) */
function schemaAccepts(
  route: { params?: ZodType; query?: ZodType; body?: ZodType } | undefined,
  params: Record<string, string>,
  queryString: string,
  body: unknown,
): boolean {
  if (!route) return true;
  for (const v of Object.values(params))
    if (textProblem(v, { kind: 'free' }) === 'malformed_unicode') return false;
  if (route.params && !route.params.safeParse(params).success) return false;
  if (route.query && !route.query.safeParse({ ...parseQuery(queryString) }).success) return false;
  // The server sees the body as JSON, not as the generated object (whose prototype may be null).
  const sentBody: unknown = body === undefined ? {} : JSON.parse(JSON.stringify(body));
  if (route.body && !route.body.safeParse(sentBody).success) return false;
  return true;
}

describe('schema-driven fuzzing of the whole API', () => {
  let stack: FullStack;
  let api: TestApi;
  let idp: TestIdp;

  beforeAll(async () => {
    stack = await startFullStack({ taskQueue: 'fuzz' });
    ({ api, idp } = stack);
  }, 120_000);

  afterAll(() => stack?.stop());

  it('answers every generated request without a 5xx, within its declared schemas, in the one error shape', async () => {
    const tokens = {
      anonymous: undefined,
      customer: await idp.token({ sub: 'fuzz-customer', email: 'fuzz-customer@example.com' }),
      editor: await idp.token({ sub: 'fuzz-editor', email: 'editor@example.com', roles: ['editor'] }),
      gateway: await idp.token({ sub: 'fuzz-gateway', email: 'gateway@example.com', roles: [GATEWAY_ROLE] }),
      admin: await idp.token({ sub: 'fuzz-admin', email: 'fuzz-admin@example.com', roles: ['admin'] }),
    };
    // The customer exists (with its Stripe customer), so its routes get past "who are you".
    expect(
      (await api.request('POST', '/api/v1/stripe/create_customer', { token: tokens.customer, body: {} }))
        .status,
    ).toBe(200);
    // …and has a provider key, so the gateway's key read gets as far as decrypting it.
    const key = { provider: 'openai', api_key: `sk-proj-${'f'.repeat(40)}` };
    expect(
      (await api.request('POST', '/api/v1/byok/keys/add', { token: tokens.customer, body: key })).status,
    ).toBe(200);

    const doc = (await api.request('GET', '/openapi.json')).body as {
      paths: Record<string, Record<string, Omit<Operation, 'method' | 'path'>>>;
    };
    const operations: Operation[] = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ ...op, method, path })),
    );
    expect(operations.length).toBe(api.routes.length);

    // What removes or moves catalog plans goes last, so the rest still finds plans to sell.
    const destructive = (o: Operation) => o.method === 'delete' || o.path.endsWith('/migrate');
    operations.sort((a, b) => Number(destructive(a)) - Number(destructive(b)));
    const findings: Finding[] = [];
    const statuses: Record<string, Record<string, number>> = {};
    let sent = 0;
    for (const op of operations) {
      const name = `${op.method.toUpperCase()} ${op.path}`;
      const route = api.routes.find(
        (r) => r.method === op.method && r.fullPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}') === op.path,
      );
      const pathParams = op.parameters.filter((p) => p.in === 'path');
      const queryParams = op.parameters.filter((p) => p.in === 'query');
      // Half the samples are valid throughout (they reach the use cases); half carry hostile values.
      const sampleWith = (hostility: number): fc.Arbitrary<Sample> =>
        fc.record({
          caller: fc.constantFrom('anonymous', 'customer', 'editor', 'gateway', 'admin', 'admin'),
          params: fc.record(
            Object.fromEntries(
              pathParams.map((p) => [p.name, arbitraryFor(p.schema, hostility, 0, HINTS, p.name)]),
            ),
          ),
          query: fc.record(
            Object.fromEntries(
              queryParams.map((p) => [p.name, arbitraryFor(p.schema, hostility, 0, HINTS, p.name)]),
            ),
            { requiredKeys: [] },
          ),
          body: op.requestBody
            ? arbitraryFor(
                BODIES[name] ?? op.requestBody.content['application/json'].schema,
                hostility,
                0,
                HINTS,
              )
            : fc.constant(undefined),
        });
      const sample = fc.oneof(sampleWith(0), sampleWith(1));

      // Shrinking re-runs failing samples; the last one recorded is the smallest.
      let smallest: Finding | null = null;
      const result = await fc.check(
        fc.asyncProperty(sample, async (s) => {
          const params = Object.fromEntries(Object.entries(s.params).map(([k, v]) => [k, String(v)]));
          // An empty or dot segment is another URL (another route), not a value of this parameter.
          for (const v of Object.values(params)) fc.pre(v !== '' && v !== '.' && v !== '..');
          const path = op.path.replace(/\{([A-Za-z0-9_]+)\}/g, (_m, k: string) =>
            percentEncode(params[k] ?? ''),
          );
          const qs = Object.entries(s.query)
            .filter(([, v]) => v !== undefined)
            .map(
              ([k, v]) =>
                `${percentEncode(k)}=${percentEncode(typeof v === 'string' ? v : (JSON.stringify(v) ?? ''))}`,
            )
            .join('&');
          const url = qs ? `${path}?${qs}` : path;
          const res = await api.request(op.method.toUpperCase(), url, {
            token: tokens[s.caller],
            body: s.body,
          });
          sent++;
          const tally = (statuses[name] ??= {});
          const key = `${res.status} ${res.body?.error?.code ?? ''} ${res.body?.error?.message ?? ''}`.slice(
            0,
            100,
          );
          tally[key] = (tally[key] ?? 0) + 1;
          const problem = (() => {
            if (res.status >= 500 && !(op.path === '/readyz' && res.status === 503)) return 'server error';
            if (accepted(res.status) && !schemaAccepts(route, params, qs, s.body))
              return 'accepted a request its schema refuses';
            if (accepted(res.status) && route?.response && !route.response.safeParse(res.body).success)
              return 'answer breaks the declared response schema';
            if (res.status >= 400 && typeof res.body?.error?.code !== 'string')
              return 'error not in the one shape';
            if (!Object.hasOwn(op.responses, String(res.status)))
              return 'status not declared in /openapi.json';
            return null;
          })();
          if (problem) {
            smallest = {
              operation: name,
              problem,
              status: res.status,
              response: res.body,
              request: `${s.caller} ${op.method.toUpperCase()} ${url} ${JSON.stringify(s.body) ?? ''}`.slice(
                0,
                600,
              ),
            };
            return false;
          }
          return true;
        }),
        { numRuns: RUNS_PER_OPERATION, interruptAfterTimeLimit: 20_000, markInterruptAsFailure: false },
      );
      if (result.failed) {
        findings.push(
          smallest ?? {
            operation: name,
            problem: String(result.errorInstance),
            status: 0,
            response: null,
            request: '',
          },
        );
      }
    }
    if (process.env.FUZZ_REPORT) console.log(JSON.stringify(statuses, null, 1));
    // The run did real work: every operation was tried many times.
    expect(sent).toBeGreaterThan(operations.length * 10);
    expect(findings).toEqual([]);
  }, 600_000);
});
