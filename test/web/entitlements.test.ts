import type { Browser } from 'playwright-core';
import type { TestApi } from '../helpers/api';
import { bookWriter, DAY } from '../helpers/book';
import { openWebApp, screenshot, seriousA11yViolations, signInAs } from './browser';

/**
 * Entitlements in real Chromium: an admin overrides one on the console's customer page and removes it;
 * the customer sees what they may use on their Billing page.
 */
describe('entitlements in the browser', () => {
  let web: Awaited<ReturnType<typeof openWebApp>>;
  let db: typeof web.db;
  let api: TestApi;
  let browser: Browser;
  const email = 'eve-entitled@example.com';

  beforeAll(async () => {
    web = await openWebApp();
    ({ db, api, browser } = web);
    const em = db.orm.em.fork();
    const book = bookWriter(em);
    const eve = book.customer({ email, userId: `local-${email}`, createdAt: new Date(Date.now() - 3 * DAY) });
    book.subscription(eve, {
      tier: 'starter',
      amountCents: 1900,
      status: 'active',
      createdAt: new Date(Date.now() - 3 * DAY),
    });
    await em.flush();
  });
  afterAll(() => web?.close());

  const signedIn = (email: string, role: 'admin' | 'viewer', next: string) =>
    signInAs(browser, api.url, { email, role, next });

  it('lets an admin grant a feature for a while, shows it in force, and removes it', async () => {
    const page = await signedIn('boss@example.com', 'admin', `/admin/customer?email=${email}`);
    const card = page.getByRole('region', { name: 'Entitlements', exact: true });
    const calls = card.getByTestId('entitlement-api_calls');
    await calls.waitFor();
    expect(await calls.getByRole('cell').allTextContents()).toEqual([
      '1,000 a day (all usage; blocks past it)',
      '0',
      '1,000',
      'Allowed',
    ]);
    expect(await card.getByTestId('entitlement-byok').count()).toBe(0);

    const form = card.getByRole('form', { name: 'New override' });
    await form.getByLabel('Feature', { exact: true }).fill('byok');
    await form.getByLabel('Change').selectOption('grant');
    await form.getByLabel(/^Until/).fill(new Date(Date.now() + 30 * DAY).toISOString().slice(0, 10));
    await form.getByLabel('Reason').fill('BYOK pilot');
    await form.getByRole('button', { name: 'Add override' }).click();
    await card.getByText(/^The override of byok is in force until/).waitFor();
    await card.getByTestId('entitlement-byok').waitFor();
    const override = card.getByTestId('override-byok');
    expect(await override.getByRole('cell').nth(0).textContent()).toBe('Granted');
    expect(await override.getByRole('cell').nth(2).textContent()).toBe('BYOK pilot');

    // A limit of a feature the plan lacks, unlimited and for good.
    await form.getByLabel('Feature', { exact: true }).fill('seats');
    await form.getByLabel('Change').selectOption('limit');
    await form.getByLabel('Unlimited').check();
    await form.getByLabel('Reason').fill('contract');
    await form.getByRole('button', { name: 'Add override' }).click();
    await card.getByText('The override of seats is in force.').waitFor();
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'admin-customer-entitlements');

    await card.getByRole('button', { name: 'Remove the override of byok' }).click();
    await card.getByText('The override of byok is removed.').waitFor();
    await override
      .getByRole('cell')
      .filter({ hasText: /^Removed/ })
      .waitFor();
    expect(await card.getByTestId('entitlement-byok').count()).toBe(0);
  });

  it('shows the customer what they may use and what is left on their Billing page', async () => {
    const page = await signedIn(email, 'viewer', '/billing');
    const card = page.getByRole('region', { name: 'What you may use' });
    const row = card.getByRole('row', { name: /api_calls/ });
    await row.waitFor();
    expect(await row.getByRole('cell').allTextContents()).toEqual([
      '1,000 a day',
      '1,000',
      expect.stringMatching(/, 12:00 AM$/),
    ]);
    expect(await card.getByRole('rowheader').allTextContents()).toEqual(
      expect.arrayContaining(['chat', 'api', 'api_calls', 'credits', 'seats']),
    );
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'billing-entitlements');
  });
});
