import type { Browser, Page } from 'playwright-core';
import type { TestApi } from '../helpers/api';
import { bookWriter, DAY } from '../helpers/book';
import { openWebApp, screenshot, seriousA11yViolations, signInAs } from './browser';

/** Budgets inside an account in real Chromium: the customer sets one on the Credits page; the console shows it. */
describe('budgets in the browser', () => {
  let web: Awaited<ReturnType<typeof openWebApp>>;
  let api: TestApi;
  let browser: Browser;
  const email = 'bea-budgets@example.com';

  beforeAll(async () => {
    web = await openWebApp();
    ({ api, browser } = web);
    const em = web.db.orm.em.fork();
    const book = bookWriter(em);
    // The user id the development sign-in gives this email, so the test can act as the customer.
    const bea = book.customer({ email, userId: `local-${email}`, createdAt: new Date(Date.now() - 3 * DAY) });
    book.subscription(bea, {
      tier: 'professional',
      amountCents: 4900,
      status: 'active',
      createdAt: new Date(Date.now() - 3 * DAY),
    });
    await em.flush();
  });
  afterAll(() => web?.close());

  async function signedIn(who: string, role: 'admin' | 'viewer', next: string): Promise<Page> {
    return signInAs(browser, api.url, { email: who, role, next });
  }

  it('lets the customer cap a project, shows what it used, and refuses a bad subject naming it', async () => {
    const page = await signedIn(email, 'viewer', '/billing/credits');
    const card = page.getByRole('region', { name: 'Budgets by project, key or user', exact: true });
    await card.getByText(/No budgets/).waitFor();
    await card.getByLabel('Subject').fill('project-a');
    await card.getByLabel('Units').fill('100');
    await card.getByLabel('Alert at %').fill('80');
    await card.getByRole('button', { name: 'Save the budget' }).click();
    await card.getByText('Budget for project-a saved.').waitFor();
    expect(await card.getByTestId('budget-used-project-a').textContent()).toBe('0');

    // The customer's own usage of that project, 90 units, then 20 more: the second is past the budget.
    const token = (await api.request('POST', '/api/v1/auth/dev-token', { body: { email, role: 'viewer' } }))
      .body.access_token as string;
    const report = (id: string, quantity: number) =>
      api.request('POST', '/api/v1/billing/report_usage', {
        token,
        body: { events: [{ id, type: 'inference', quantity, subject: 'project-a' }] },
      });
    expect((await report('w1', 90)).body.accepted).toBe(1);
    const refused = await report('w2', 20);
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('budget_reached');

    await page.reload();
    await card.getByTestId('budget-used-project-a').filter({ hasText: /^90$/ }).waitFor();
    expect(await card.getByRole('row').nth(1).textContent()).toContain('80 % (reached)');
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'budgets');

    // A subject the engine refuses: the form's own pattern stops a space, the API names what it refuses.
    await card.getByLabel('Subject').fill('a\u00e9');
    await card.getByLabel('Units').fill('5');
    await card.getByLabel('Subject').evaluate((el) => el.removeAttribute('pattern'));
    await card.getByRole('button', { name: 'Save the budget' }).click();
    expect(await card.getByRole('alert').textContent()).toMatch(/subject/i);
  });

  it('shows an operator the customer’s budgets on the console', async () => {
    const page = await signedIn(
      'boss@example.com',
      'admin',
      `/admin/customer?email=${encodeURIComponent(email)}`,
    );
    const card = page.getByRole('region', { name: 'Budgets by project, key or user', exact: true });
    await card.getByTestId('budget-used-project-a').waitFor();
    expect(await card.getByRole('row').nth(1).textContent()).toContain('project-a');
    expect(await card.getByRole('button', { name: 'Remove' }).count()).toBe(0);
    expect(await seriousA11yViolations(page)).toEqual([]);
  });
});
