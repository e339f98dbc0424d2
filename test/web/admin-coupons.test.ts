import type { Browser } from 'playwright-core';
import type { TestApi } from '../helpers/api';
import { openWebApp, screenshot, seriousA11yViolations, signInAs } from './browser';

/**
 * The console's Coupons page in real Chromium: an admin offers a coupon, gives it a code, turns the code off
 * and archives the coupon; the customer's Subscribe page has the field a code is typed into.
 */
describe('coupons in the browser', () => {
  let web: Awaited<ReturnType<typeof openWebApp>>;
  let api: TestApi;
  let browser: Browser;

  beforeAll(async () => {
    web = await openWebApp();
    ({ api, browser } = web);
  });
  afterAll(() => web?.close());

  it('offers a coupon with a code, turns the code off and archives the coupon', async () => {
    const page = await signInAs(browser, api.url, {
      email: 'boss@example.com',
      role: 'admin',
      next: '/admin/coupons',
    });
    const form = page.getByRole('form', { name: 'New coupon' });
    await form.getByLabel('Id').fill('launch20');
    await form.getByLabel('Name').fill('Launch');
    await form.getByLabel('Percent off').fill('20');
    await form.getByLabel('For').selectOption('repeating');
    await form.getByLabel('Months', { exact: true }).fill('3');
    await form.getByLabel('Most redemptions (empty: no limit)').fill('100');
    await form.getByRole('button', { name: 'Create coupon' }).click();
    await page.getByText('Launch is offered: 20 % off, for 3 months.').waitFor();

    const codeForm = page.getByRole('form', { name: 'New promotion code' });
    await codeForm.getByLabel('Code customers type').fill('launch20');
    await codeForm.getByLabel('New customers only').check();
    await codeForm.getByRole('button', { name: 'Create code' }).click();
    await page.getByText('Customers can type LAUNCH20 at checkout.').waitFor();

    const row = page.getByTestId('coupon-launch20');
    expect(await row.getByRole('cell').allTextContents()).toEqual([
      '20 % off, for 3 months',
      'Every plan',
      '0 of 100',
      expect.stringContaining('LAUNCH20 0 used, new customers only'),
      // No Stripe in this app: the coupon waits for the catalog sync.
      'Waiting for Stripe',
      'Archive',
    ]);
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'admin-coupons');

    await row.getByRole('button', { name: 'Turn off LAUNCH20' }).click();
    await page.getByText('LAUNCH20 is turned off.').waitFor();
    expect(await row.getByTestId('code-LAUNCH20').textContent()).toContain('(off)');
    await row.getByRole('button', { name: 'Archive Launch' }).click();
    await page.getByText('Launch is archived: no new redemptions; discounts already given stay.').waitFor();
    expect(await row.getByRole('cell').nth(4).textContent()).toBe('Archived');
  });

  it('refuses a second coupon with the same id, saying why', async () => {
    const page = await signInAs(browser, api.url, {
      email: 'boss@example.com',
      role: 'admin',
      next: '/admin/coupons',
    });
    const form = page.getByRole('form', { name: 'New coupon' });
    await form.getByLabel('Id').fill('launch20');
    await form.getByLabel('Name').fill('Again');
    await form.getByLabel('Percent off').fill('10');
    await form.getByRole('button', { name: 'Create coupon' }).click();
    await page.getByText(/A coupon "launch20" exists/).waitFor();
  });

  it('gives the customer a field for a promotion code on the Subscribe page', async () => {
    const page = await signInAs(browser, api.url, {
      email: 'cy@example.com',
      role: 'viewer',
      next: '/signup?code=SPRING',
    });
    const field = page.getByLabel('Promotion code (optional)');
    expect(await field.inputValue()).toBe('SPRING');
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'signup-promotion-code');
  });
});
