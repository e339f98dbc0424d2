import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/**
 * domain/errors.ts promises that nothing below the API knows HTTP: use cases, rules, activities and
 * workflows name business fields (`amountCents`), and each route maps them to where they sit on the wire
 * (`body.amount_cents`, RouteSpec.fields). ESLint keeps Koa out by import; this catches what an import
 * rule cannot see: a wire path spelled as a string, or a response status set as a number.
 */
const ROOT = path.join(__dirname, '..', '..');
const BELOW_THE_API = ['services', 'domain', 'activities', 'workflows'];
const WIRE_PATH = /^(body|query|params|headers)(\.|\[|$)/;
const STATUS_KEYS = new Set(['status', 'statusCode', 'httpStatus']);

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return /\.tsx?$/.test(e.name) ? [full] : [];
  });
}

/** Each place in the source that names an HTTP field or sets a response status, as `line: what`. */
export function httpMentions(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const at = (node: ts.Node) => source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
  const visit = (node: ts.Node): void => {
    if (
      (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateHead(node)) &&
      WIRE_PATH.test(node.text)
    ) {
      found.push(`${at(node)}: the wire path '${node.text}'`);
    }
    if (
      (ts.isPropertyAssignment(node) || ts.isBinaryExpression(node)) &&
      isStatusKey(ts.isPropertyAssignment(node) ? node.name : node.left) &&
      (!ts.isBinaryExpression(node) || node.operatorToken.kind === ts.SyntaxKind.EqualsToken)
    ) {
      const value = ts.isPropertyAssignment(node) ? node.initializer : node.right;
      if (ts.isNumericLiteral(value) && Number(value.text) >= 100 && Number(value.text) <= 599) {
        found.push(`${at(node)}: the response status ${value.text}`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function isStatusKey(node: ts.Node): boolean {
  const name = ts.isIdentifier(node)
    ? node.text
    : ts.isPropertyAccessExpression(node)
      ? node.name.text
      : ts.isStringLiteral(node)
        ? node.text
        : null;
  return name !== null && STATUS_KEYS.has(name);
}

describe('nothing below the API names an HTTP field or status', () => {
  it('finds a wire path and a status in code, and nothing in comments or unrelated strings', () => {
    const code = [
      "throw invalid('x', { field: 'body.amount_cents' });",
      'const where = `query.${name}`;',
      'const answer = { status: 429 };',
      'res.statusCode = 503;',
      "// a comment may say 'body.amount_cents' or 404",
      "const ok = { status: 'active', field: 'amountCents', note: 'somebody.x' };",
      'if (res.status === 401) retry();',
    ].join('\n');
    expect(httpMentions('sample.ts', code)).toEqual([
      "1: the wire path 'body.amount_cents'",
      "2: the wire path 'query.'",
      '3: the response status 429',
      '4: the response status 503',
    ]);
  });

  it('holds for services/, domain/, activities/ and workflows/', () => {
    const offenders: Record<string, string[]> = {};
    for (const dir of BELOW_THE_API) {
      for (const file of sourceFiles(path.join(ROOT, dir))) {
        const rel = path.relative(ROOT, file).split(path.sep).join('/');
        const mentions = httpMentions(file, fs.readFileSync(file, 'utf8'));
        if (mentions.length > 0) offenders[rel] = mentions;
      }
    }
    expect(offenders).toEqual({});
  });
});
