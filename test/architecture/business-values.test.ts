import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/**
 * Issue 43: use cases return business values (camelCase, integer cents) and each route maps them to its
 * wire shape in its own dto.ts. A snake_case key in an object a service builds is a wire object built
 * below the API. Stripe's own parameters are Stripe's names, so an object handed to a Stripe call is not
 * counted; types (a SQL row's columns) are not objects and are not counted either.
 */
const ROOT = path.join(__dirname, '..', '..');

const AUDIT =
  'an audit image: entries are stored as written and read beside older ones, so the shape they have always had stays';
const EVENT =
  'an outgoing webhook event payload: stored when the event happens and delivered later as written, in the shape receivers read';
const DETAILS =
  "an error's details: they travel unchanged into the error body, named as the error code's documentation names them";
const CODES = 'keyed by error codes, which are snake_case by the house rule for codes, not wire fields';
/**
 * Places that build snake_case keys for a reason other than the API's wire, by `file (function)`. The
 * list only shrinks: an entry that no longer matches anything must leave it.
 */
const ALLOWED: Record<string, string> = {
  'services/auth/local-key.ts (jwt)': 'OIDC claim names in a token the engine signs for local keys',
  'services/byok/provider-keys.ts (auditView)': AUDIT,
  'services/byok/read-key-for-gateway.ts (view)': AUDIT,
  'services/byok/read-key-for-gateway.ts (KeyReadsLimited)': DETAILS,
  'services/budgets/budget-alerts.ts (recordBudgetAlerts)': EVENT,
  'services/credits/alerts.ts (added)': EVENT,
  'services/credits/credit-settings.ts (REFUSAL_KIND)': CODES,
  'services/entitlements/overrides.ts (publishChange)': EVENT,
  'services/entitlements/overrides.ts (addOverride)': AUDIT,
  'services/invoices/issue-credit-note.ts (issueCreditNoteAsAdmin)': DETAILS,
  'services/invoices/once-per-key.ts (moneyBackOncePerKey)': DETAILS,
  'services/invoices/refund-invoice.ts (refundInvoiceAsAdmin)': DETAILS,
  'services/payment-methods/manage-cards.ts (removeCard)': DETAILS,
  'services/model-costs/margin-floor.ts (breachImage)': DETAILS,
  'services/model-costs/margin-floor.ts (checkMarginFloor)': DETAILS,
  'services/plans/audit-image.ts (planAuditImage)': AUDIT,
  'services/plans/migrate-plan.ts (startRun)': AUDIT,
  'services/rate-limits/rate-limiter.ts (RateLimited)': DETAILS,
  'services/subscriptions/change-as-admin.ts (auditImage)': AUDIT,
  'services/subscriptions/change-plan.ts (refuseCouponNotForPlan)': DETAILS,
  'services/subscriptions/start-checkout.ts (checkoutAnchor)': DETAILS,
  'services/subscriptions/start-checkout.ts (refuseTooManyOpenCheckouts)': DETAILS,
  'services/usage/report-usage.ts (WHOLE_REFUSALS)': CODES,
  'services/webhooks/endpoints.ts (imageOf)': AUDIT,
};

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return sourceFiles(rel);
    return /\.ts$/.test(e.name) ? [rel] : [];
  });
}

const SNAKE = /^[a-z][a-z0-9]*(_[a-z0-9]+)+$/;

/** A call on the Stripe client (`stripe.x(…)`, `deps.stripe.customers.create(…)`). */
function isStripeCall(node: ts.CallExpression): boolean {
  let e: ts.Expression = node.expression;
  while (ts.isPropertyAccessExpression(e) || ts.isCallExpression(e) || ts.isElementAccessExpression(e)) {
    if (ts.isPropertyAccessExpression(e) && e.name.text === 'stripe') return true;
    e = e.expression;
  }
  return ts.isIdentifier(e) && e.text === 'stripe';
}

/** The name of the function or variable a node sits in, for a finding that survives line moves. */
function ownerOf(node: ts.Node): string {
  for (let n: ts.Node | undefined = node.parent; n; n = n.parent) {
    if ((ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n)) && n.name) return n.name.getText();
    if (ts.isClassDeclaration(n) && n.name) return n.name.text;
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && !ts.isObjectLiteralExpression(n.parent))
      return n.name.text;
  }
  return '(top level)';
}

/** Each snake_case key of an object literal a file builds, as `file (function): key`, once each. */
export function wireKeys(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found = new Set<string>();
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && isStripeCall(node)) return;
    if (
      (ts.isPropertyAssignment(node) || ts.isShorthandPropertyAssignment(node)) &&
      ts.isObjectLiteralExpression(node.parent) &&
      (ts.isIdentifier(node.name) || ts.isStringLiteral(node.name)) &&
      SNAKE.test(node.name.text)
    ) {
      found.add(`${file} (${ownerOf(node)}): ${node.name.text}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return [...found];
}

const placeOf = (finding: string) => finding.slice(0, finding.indexOf(':'));

describe('services return business values, not wire objects', () => {
  it('finds a snake_case key in an object a service builds, and passes camelCase, types and Stripe calls', () => {
    const cases: [string, string[]][] = [
      ['const x = { price_cents: 1 };', ['s.ts (x): price_cents']],
      ["function f() { return { 'created_at': t }; }", ['s.ts (f): created_at']],
      ['function g(customer_id: string) { return { customer_id }; }', ['s.ts (g): customer_id']],
      ['class E { constructor() { super({ retry_after: 1 }); } }', ['s.ts (E): retry_after']],
      ['const x = { priceCents: 1, id: "a_b" };', []],
      ['type Row = { price_cents: number }; let r: { created_at: string };', []],
      ['await stripe.x({ customer_id });', []],
      ['await deps.stripe.customers.update(id, { metadata: { user_id: u } });', []],
      ["run(`select price_cents from plans`, { id: 'x' });", []],
    ];
    for (const [code, expected] of cases) expect(wireKeys('s.ts', code)).toEqual(expected);
  });

  it('holds for every file of services/', () => {
    const files = sourceFiles('services');
    expect(files.length).toBeGreaterThan(80);
    const found = files.flatMap((f) => wireKeys(f, fs.readFileSync(path.join(ROOT, f), 'utf8')));
    expect(found.filter((k) => !(placeOf(k) in ALLOWED))).toEqual([]);
    // A place that no longer builds snake_case keys leaves the list.
    const places = new Set(found.map(placeOf));
    expect(Object.keys(ALLOWED).filter((p) => !places.has(p))).toEqual([]);
  });
});
