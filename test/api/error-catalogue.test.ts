import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createApp } from '../../api/app';
import { loadConfig } from '../../config/env';
import { createLogger } from '../../config/logger';
import type { ErrorKind } from '../../domain/errors';
import { ERROR_CODES, isErrorCode } from '../../domain/error-codes';
import { buildOpenApi } from '../../api/openapi';
import { tableCells } from '../../api/roles-matrix';
import { catalogueIn, DOCS_PAGE, errorCatalogue, statusesOf } from '../../api/error-catalogue';

const root = join(__dirname, '..', '..');
const SOURCE_DIRS = ['api', 'services', 'domain', 'db', 'activities', 'integrations'];

interface Raised {
  at: string;
  code: string;
  /** The kind it is raised with, when the source names it. */
  kind: ErrorKind | null;
}

/**
 * Codes the source raises with a literal: `new AppError('kind', 'code'`, an AppError subclass's
 * `super('kind', 'code'`, `conflict('code'`, `unavailable('code'`, `notFound('what'` (`what_not_found`),
 * and the `code: 'a_b'` of a domain rule's refusal (snake case with an underscore: plan codes such as
 * `starter` and zod's `custom` are not refusals). The compiler holds the typed calls to the registry too;
 * this also covers domain rules typed as plain strings, and runs where tests run without a type check.
 */
function raisedIn(text: string, at: string): Raised[] {
  const out: Raised[] = [];
  const push = (code: string, kind: ErrorKind | null, index: number) =>
    out.push({ at: `${at}:${text.slice(0, index).split('\n').length}`, code, kind });
  for (const m of text.matchAll(/(?:new AppError|super)\(\s*'([a-z_]+)',\s*'([a-z_]+)'/g))
    push(m[2]!, m[1] as ErrorKind, m.index);
  for (const m of text.matchAll(/\b(conflict|unavailable)\(\s*'([a-z_]+)'/g))
    push(m[2]!, m[1] as ErrorKind, m.index);
  for (const m of text.matchAll(/\bnotFound\(\s*'([a-z_ ]+)'/g))
    push(`${m[1]}_not_found`, 'not_found', m.index);
  for (const m of text.matchAll(/\bcode: '([a-z]+(?:_[a-z0-9]+)+)'/g)) push(m[1]!, null, m.index);
  return out;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return e.name.endsWith('.ts') ? [full] : [];
  });
}

function raisedByTheEngine(): Raised[] {
  return SOURCE_DIRS.flatMap((d) => sourceFiles(join(root, d))).flatMap((file) =>
    raisedIn(readFileSync(file, 'utf8'), relative(root, file)),
  );
}

/** A code is refused where it is unregistered, or raised with a kind (so a status) the registry omits. */
function unregistered(raised: Raised[]): string[] {
  return raised
    .filter(
      (r) =>
        !isErrorCode(r.code) ||
        (r.kind !== null && !(ERROR_CODES[r.code].kinds as readonly string[]).includes(r.kind)),
    )
    .map((r) => `${r.at}: ${r.code}${r.kind ? ` (${r.kind})` : ''}`);
}

describe('the catalogue of error codes', () => {
  it('in docs/api.md is what npm run docs:errors writes from the registry', () => {
    const documented = catalogueIn(readFileSync(DOCS_PAGE, 'utf8'));
    expect(documented).not.toBeNull();
    // Cell by cell: Prettier pads the page's copy.
    expect(tableCells(documented!)).toEqual(tableCells(errorCatalogue()));
  });

  it('holds every code the engine raises, with the kind it raises it with', () => {
    const raised = raisedByTheEngine();
    // The scan sees the refusals it is meant to see: a helper's, a subclass's and a domain rule's.
    expect(raised.map((r) => r.code)).toEqual(
      expect.arrayContaining(['pack_code_exists', 'plan_not_found', 'rate_limited', 'webhook_url_private']),
    );
    expect(unregistered(raised)).toEqual([]);
  });

  it('finds an unregistered code, a code raised with an undeclared kind, and a subject with no code', () => {
    const source = [
      "throw conflict('pack_code_taken', 'taken');",
      "throw new AppError('invalid', 'plan_exists', 'x');",
      "throw notFound('credit pack', id);",
      "return { code: 'not_a_code', message: 'm' };",
    ].join('\n');
    expect(unregistered(raisedIn(source, 'x.ts'))).toEqual([
      'x.ts:2: plan_exists (invalid)',
      'x.ts:1: pack_code_taken (conflict)',
      'x.ts:3: credit pack_not_found (not_found)',
      'x.ts:4: not_a_code',
    ]);
  });

  it('is the list of codes the OpenAPI document gives for the error body', () => {
    const doc = buildOpenApi([], 'test') as {
      components: {
        schemas: { Error: { properties: { error: { properties: { code: { enum: string[] } } } } } };
      };
    };
    const codes = doc.components.schemas.Error.properties.error.properties.code.enum;
    expect(codes).toEqual(Object.keys(ERROR_CODES).sort());
    expect(codes).toContain('pack_code_exists');
  });

  it("names only registered codes in the routes' documented errors, under their statuses, and conflicts only as _exists", () => {
    const { routes, stripeEventForwarder } = createApp({
      config: loadConfig({ NODE_ENV: 'development' }),
      orm: null as never,
      temporal: null as never,
      logger: createLogger('silent', 'error-catalogue-test'),
      verifier: null as never,
      byok: null as never,
    });
    stripeEventForwarder.close();
    // Snake-case words in these descriptions that name fields or limit classes, not codes.
    const notCodes = new Set(['amount_left_cents', 'key_test', 'subscription_id', 'tier_id']);
    const named = routes.flatMap((r) =>
      Object.entries(r.errors ?? {}).flatMap(([status, text]) =>
        [...String(text).matchAll(/\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b/g)].map((m) => ({
          where: `${r.method.toUpperCase()} ${r.fullPath} ${status}`,
          word: m[0],
        })),
      ),
    );
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((n) => !isErrorCode(n.word) && !notCodes.has(n.word))).toEqual([]);
    // A code documented under a status the catalogue does not give it: one of the two is wrong.
    expect(
      named.filter(
        (n) => isErrorCode(n.word) && !statusesOf(n.word).includes(Number(n.where.split(' ').pop())),
      ),
    ).toEqual([]);
    expect(Object.keys(ERROR_CODES).filter((c) => c.endsWith('_taken'))).toEqual([]);
  });
});
