import { z, type ZodType } from 'zod';
import { ERROR_CODES } from '../domain/error-codes';
import { allowedPrincipals } from '../domain/roles';
import { exampleOf } from './openapi-examples';
import { overlayExample, SEED_RESPONSE_EXAMPLES } from './seed-examples';
import type { AnyRoute } from './routing/define-route';

/** Requests are described as callers may send them, answers as the engine sends them. */
function jsonSchema(schema: ZodType, io: 'input' | 'output' = 'input'): Record<string, unknown> {
  return z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
}

function parametersOf(route: AnyRoute): unknown[] {
  const out: unknown[] = [];
  for (const where of ['params', 'query'] as const) {
    const schema = route[where];
    if (!schema) continue;
    const js = jsonSchema(schema) as { properties?: Record<string, unknown>; required?: string[] };
    for (const [name, s] of Object.entries(js.properties ?? {})) {
      out.push({
        name,
        in: where === 'params' ? 'path' : 'query',
        required: where === 'params' || (js.required ?? []).includes(name),
        schema: s,
      });
    }
  }
  return out;
}

/** The one refusal body (api/errors.ts); its codes are the registry's, listed in docs/api.md. */
const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'details'],
      properties: {
        code: { type: 'string', enum: Object.keys(ERROR_CODES).sort() },
        message: { type: 'string' },
        details: { type: 'object' },
      },
    },
  },
};

/** The OpenAPI 3.1 document of every mounted route; `x-required-role` states who may call each
 * one, and `x-roles` spells it out as the token roles let in. */
export function buildOpenApi(routes: AnyRoute[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.fullPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const responses: Record<string, unknown> = {
      [String(r.status ?? 200)]: {
        description: 'OK',
        ...(r.response
          ? {
              content: {
                [r.produces ?? 'application/json']: {
                  schema: jsonSchema(r.response, 'output'),
                  ...(r.produces && r.produces !== 'application/json'
                    ? {}
                    : {
                        example: overlayExample(
                          exampleOf(jsonSchema(r.response, 'output')),
                          SEED_RESPONSE_EXAMPLES[`${r.method} ${r.fullPath}`],
                        ),
                      }),
                },
              },
            }
          : {}),
      },
    };
    const errs: Record<number, string> = {};
    if (r.body || r.query || r.params) errs[400] = 'Invalid input';
    if (r.access !== 'public') {
      errs[401] = 'Missing, invalid or expired token';
      errs[403] = `Caller is not one of: ${allowedPrincipals(r.access)?.join(', ')}`;
    }
    Object.assign(errs, r.errors ?? {});
    for (const [status, description] of Object.entries(errs)) {
      responses[status] = {
        description,
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      };
    }
    (paths[path] ??= {})[r.method] = {
      summary: r.summary,
      tags: r.tags,
      operationId: `${r.method}_${path.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, '')}`,
      'x-required-role': r.access,
      ...(r.access === 'public' ? {} : { 'x-roles': allowedPrincipals(r.access) }),
      ...(r.access === 'public' ? { security: [] } : {}),
      parameters: parametersOf(r),
      ...(r.body
        ? {
            requestBody: {
              required: true,
              content: {
                'application/json': { schema: jsonSchema(r.body), example: exampleOf(jsonSchema(r.body)) },
              },
            },
          }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Billing engine API',
      version,
      description:
        'Subscriptions, usage, invoices and revenue; every mutation runs through a Temporal workflow.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { Error: errorSchema },
    },
    paths,
  };
}
