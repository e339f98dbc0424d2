import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { webAppBuilt } from '../../api/pages/web-app';
import { Plan } from '../../db/entities';
import { startFullStack, type FullStack } from '../helpers/full-stack';
import { waitUntil } from '../helpers/eventually';
import { launchChromium, screenshot, seriousA11yViolations, signInAs } from './browser';

/**
 * Seats in real Chromium against the whole engine: the operator makes a plan priced per seat, a customer
 * buys three seats, and later prices and confirms two more from the dashboard.
 */
describe('seats in the web app', () => {
  let stack: FullStack;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let varDir: string;

  beforeAll(async () => {
    if (!webAppBuilt())
      throw new Error('web/dist is missing: `node tools/web.js` builds it (npm test runs it)');
    varDir = mkdtempSync(join(tmpdir(), 'web-seats-var-'));
    const started = await Promise.allSettled([
      startFullStack({
        taskQueue: 'web-seats',
        apiEnv: () => ({ OIDC_ISSUER: '', OIDC_JWKS_URL: '', VAR_DIR: varDir, DEV_SIGN_IN: 'true' }),
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

  async function expectAccessible(page: Page, name: string) {
    expect({ page: name, violations: await seriousA11yViolations(page) }).toEqual({
      page: name,
      violations: [],
    });
  }

  it('lets an operator sell seats, and a customer buy three and then add two, priced before confirming', async () => {
    const admin = await signInAs(chromium.browser, stack.api.url, {
      email: 'ops-seats@example.com',
      role: 'admin',
      next: '/admin/plans',
    });
    const form = admin.getByRole('form', { name: 'New plan' });
    await form.getByLabel('Code').fill('team');
    await form.getByLabel('Name').fill('Team');
    await form.getByLabel('Monthly price (cents)').fill('1500');
    await form.getByLabel('Seats from (empty: not priced per seat)').fill('2');
    await form.getByLabel('Seats up to (empty: no maximum)').fill('25');
    await form.getByRole('button', { name: 'Create plan' }).click();
    await admin.getByText('team is created').waitFor();
    await admin.getByTestId('plan-team-v1').getByText('2 to 25').waitFor();
    await screenshot(admin, 'admin-plans-seats');
    await expectAccessible(admin, 'admin plans with seats');
    await waitUntil(
      () => stack.db.orm.em.fork().findOne(Plan, { code: 'team' }),
      (p) => !!p?.stripePriceMonthlyId,
      'the plan in Stripe',
      30_000,
      250,
    );

    const page = await signInAs(chromium.browser, stack.api.url, {
      email: 'team-lead@example.com',
      role: 'viewer',
      next: '/signup?plan=team',
    });
    await page.getByLabel(/^Seats/).fill('3');
    await page.getByText('You pay $45.00 today for Team (3 seats)').waitFor();
    await screenshot(page, 'signup-seats');
    await expectAccessible(page, 'sign-up with seats');
    await page.getByRole('button', { name: 'Continue to payment' }).click();
    await page.waitForURL((u) => u.href.startsWith(stack.emulator.url));
    await page.getByText('Subscribe — 45.00 USD').waitFor();
    await page.getByLabel('Card number').fill('4242 4242 4242 4242');
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await page.waitForURL((u) => u.pathname === '/billing/success');

    await waitUntil(
      async () => {
        await page.goto(`${stack.api.url}/billing`);
        return page.getByTestId('seats').getByText('3 ×').count();
      },
      (n) => n === 1,
      'three seats on the dashboard',
      60_000,
      1_000,
    );
    const seats = page.getByRole('form', { name: 'Seats' });
    await seats.getByLabel('Seats').fill('5');
    await seats.getByRole('button', { name: 'Price the change' }).click();
    await page
      .getByTestId('seats-said')
      .getByText(/^5 seats: \$75\.00 each period\. You pay \$\d+\.\d\d now/)
      .waitFor();
    await screenshot(page, 'dashboard-seats-priced');
    await seats.getByRole('button', { name: 'Confirm 5 seats' }).click();
    await page.getByTestId('seats-said').getByText('You now have 5 seats.').waitFor();
    await waitUntil(
      async () => {
        await page.reload();
        return page.getByTestId('seats').getByText('5 ×').count();
      },
      (n) => n === 1,
      'five seats on the dashboard',
      30_000,
      500,
    );
    await screenshot(page, 'dashboard-seats');
    await expectAccessible(page, 'dashboard with seats');
    const [sub] = (await stack.stripe.subscriptions.list({ status: 'active' })).data.filter(
      (s) => s.items.data[0]?.price.unit_amount === 1500,
    );
    expect(sub!.items.data[0]!.quantity).toBe(5);
  }, 180_000);
});
