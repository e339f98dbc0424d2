import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { webAppBuilt } from '../../api/pages/web-app';
import { startFullStack, type FullStack } from '../helpers/full-stack';
import { Customer, Plan } from '../../db/entities';
import { newId } from '../../db/ids';
import { waitUntil } from '../helpers/eventually';
import { launchChromium, screenshot, seriousA11yViolations, signInAs } from './browser';

/**
 * The whole engine (dev sign-in, its own task queue and VAR_DIR) and a Chromium, started together before
 * the file's tests and stopped after them. Read them through the getters once the tests run.
 */
export function useWebStack(taskQueue: string) {
  let stack: FullStack | undefined;
  let chromium: Awaited<ReturnType<typeof launchChromium>> | undefined;
  let varDir: string | undefined;

  beforeAll(async () => {
    if (!webAppBuilt())
      throw new Error('web/dist is missing: `node tools/web.js` builds it (npm test runs it)');
    const dir = mkdtempSync(join(tmpdir(), `${taskQueue}-var-`));
    varDir = dir;
    const started = await Promise.allSettled([
      startFullStack({
        taskQueue,
        apiEnv: () => ({ OIDC_ISSUER: '', OIDC_JWKS_URL: '', VAR_DIR: dir, DEV_SIGN_IN: 'true' }),
      }).then((s) => (stack = s)),
      launchChromium().then((c) => (chromium = c)),
    ]);
    for (const r of started) if (r.status === 'rejected') throw r.reason;
  }, 120_000);

  afterAll(async () => {
    await chromium?.close();
    await stack?.stop();
    if (varDir) rmSync(varDir, { recursive: true, force: true });
  });

  return {
    get stack(): FullStack {
      if (!stack) throw new Error('the stack is not started');
      return stack;
    },
    get browser() {
      if (!chromium) throw new Error('Chromium is not started');
      return chromium.browser;
    },
  };
}

/** No serious accessibility violation on the page, named in the failure. */
export async function expectAccessible(page: Page, name: string): Promise<void> {
  expect({ page: name, violations: await seriousA11yViolations(page) }).toEqual({
    page: name,
    violations: [],
  });
}

/**
 * An operator creates a plan on the console's Plans page: code, name and monthly price, then `terms` fills
 * the plan's other fields. Waits for the catalog's row to show `shows` and for the plan's Stripe price;
 * screenshots the page as `shot`. Returns the operator's page.
 */
export async function operatorCreatesPlan(
  web: ReturnType<typeof useWebStack>,
  plan: { code: string; name: string; monthlyCents: number; shows: string; shot: string },
  terms: (form: Locator) => Promise<void>,
): Promise<Page> {
  const { stack } = web;
  const admin = await signInAs(web.browser, stack.api.url, {
    email: `ops-${plan.code}@example.com`,
    role: 'admin',
    next: '/admin/plans',
  });
  const form = admin.getByRole('form', { name: 'New plan' });
  await form.getByLabel('Code').fill(plan.code);
  await form.getByLabel('Name').fill(plan.name);
  await form.getByLabel('Monthly price (cents)').fill(String(plan.monthlyCents));
  await terms(form);
  await form.getByRole('button', { name: 'Create plan' }).click();
  await admin.getByText(`${plan.code} is created`).waitFor();
  await admin.getByTestId(`plan-${plan.code}-v1`).getByText(plan.shows).waitFor();
  await screenshot(admin, plan.shot);
  await expectAccessible(admin, `admin plans, ${plan.shot}`);
  // The catalog sync gives the new plan its Stripe price before anyone can buy it.
  await waitUntil(
    () => stack.db.orm.em.fork().findOne(Plan, { code: plan.code }),
    (p) => !!p?.stripePriceMonthlyId,
    'the plan in Stripe',
    30_000,
    250,
  );
  return admin;
}

/**
 * A Starter subscriber for the dev sign-in (`local-<email>`) on a Stripe test clock, so their period can be
 * made to end, paid through Checkout: their calls, their clock and their subscription as the API shows it.
 */
export async function starterOnClockForWeb(stack: FullStack, email: string) {
  const clock = await stack.stripe.testHelpers.testClocks.create({
    frozen_time: Math.floor(Date.now() / 1000),
  });
  const stripeCustomer = await stack.stripe.customers.create({ email, test_clock: clock.id });
  const em = stack.db.orm.em.fork();
  em.create(Customer, {
    id: newId('cust'),
    userId: `local-${email}`,
    email,
    stripeCustomerId: stripeCustomer.id,
  });
  await em.flush();
  const token = (
    await stack.api.request('POST', '/api/v1/auth/dev-token', { body: { email, role: 'viewer' } })
  ).body.access_token as string;
  const call = (method: string, path: string, body?: unknown) =>
    stack.api.request(method, `/api/v1${path}`, { token, body });
  const checkout = await call('POST', '/billing/checkout/create', {
    tier_id: 'starter',
    billing_cycle: 'monthly',
  });
  stack.emulator.completeCheckoutSession(checkout.body.session_id, { cardNumber: '4242424242424242' });
  const sub = await waitUntil(
    () => call('GET', '/billing/subscription'),
    (r) => r.body?.status === 'active',
    'the plan',
    60_000,
  );
  return { clock, call, sub };
}
