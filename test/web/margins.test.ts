import type { Browser } from 'playwright-core';
import { newId } from '../../db/ids';
import { sqlFor } from '../../db/raw-sql';
import type { TestApi } from '../helpers/api';
import { bookWriter } from '../helpers/book';
import { openWebApp, screenshot, seriousA11yViolations, signInAs } from './browser';

/**
 * The console's Margins page in Chromium: a month's revenue against what its model calls cost, per model,
 * plan and customer, and a negotiated rate set from the page.
 */
describe('margins in the console', () => {
  let web: Awaited<ReturnType<typeof openWebApp>>;
  let api: TestApi;
  let browser: Browser;

  beforeAll(async () => {
    web = await openWebApp();
    ({ api, browser } = web);
    const em = web.db.orm.em.fork();
    const book = bookWriter(em);
    const monthStart = new Date(new Date().toISOString().slice(0, 7) + '-01T00:00:00Z').getTime();
    // Within this month whatever the hour the test runs.
    const at = new Date(Math.max(monthStart + 60_000, Date.now() - 3_600_000));
    const ann = book.customer({ email: 'ann-margin@example.com', createdAt: at });
    const bob = book.customer({ email: 'bob-margin@example.com', createdAt: at });
    book.subscription(ann, { tier: 'professional', amountCents: 4900, status: 'active', createdAt: at });
    book.subscription(bob, { tier: 'starter', amountCents: 1900, status: 'active', createdAt: at });
    book.invoice(ann, { amountCents: 4900, createdAt: at });
    book.invoice(bob, { amountCents: 1900, createdAt: at });
    await em.flush();
    const sql = sqlFor(web.db.orm.em.fork());
    // Ann: 2M gpt-4o input tokens and 500,000 output ($5.00 + $5.00); Bob: 10M claude-opus-4 output tokens
    // ($750.00), far beyond what Starter brings in; and 1M tokens on his own key, which cost nothing.
    const events: [string, object, boolean][] = [
      [ann.id, { model: 'gpt-4o', tokens: { input: 2_000_000, output: 500_000 } }, false],
      [bob.id, { model: 'claude-opus-4', direction: 'output' }, false],
      [bob.id, { model: 'claude-opus-4', direction: 'output' }, true],
    ];
    for (const [customerId, metadata, byok] of events) {
      const quantity = byok ? 1_000_000 : customerId === ann.id ? 2_500_000 : 10_000_000;
      await sql.run(
        `insert into usage_events (id, customer_id, event_id, reporter, type, quantity, occurred_at, received_at,
           metadata, byok, prepaid)
         values (?, ?, ?, 'gateway', 'inference', ?, ?, ?, ?, ?, 0)`,
        [
          newId('uevt'),
          customerId,
          newId('e'),
          quantity,
          sql.date(at),
          sql.date(at),
          JSON.stringify(metadata),
          sql.bool(byok),
        ],
      );
    }
  });
  afterAll(() => web?.close());

  it("shows the month's margins worst first, and schedules a negotiated rate", async () => {
    const page = await signInAs(browser, api.url, {
      email: 'ops-margin@example.com',
      role: 'admin',
      next: '/admin/margins',
    });
    await page.getByRole('heading', { level: 1, name: 'Margins' }).waitFor();
    const totals = page.getByTestId('margin-totals');
    await totals.waitFor();
    // $49.00 + $19.00 billed; $10.00 + $750.00 of provider cost.
    expect(await totals.textContent()).toContain('Provider cost$760.00Margin-$692.00');
    const opus = await page.getByTestId('margin-model-claude-opus-4').textContent();
    expect(opus).toContain('anthropic');
    expect(opus).toContain('1,000,000'); // on his own key
    expect(opus).toContain('$750.00');
    expect(opus).toContain('(loss)');
    const customers = page.getByRole('region', { name: 'Margin by customer' });
    const rows = await customers
      .locator('tbody tr')
      .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('th, td')].map((c) => c.textContent)));
    expect(rows).toEqual([
      ['bob-margin@example.com', 'starter', '$19.00', '$750.00', '-$731.00 (loss)', '-3847.4 %'],
      ['ann-margin@example.com', 'professional', '$49.00', '$10.00', '$39.00', '79.6 %'],
    ]);
    await screenshot(page, 'margins');
    expect(await seriousA11yViolations(page)).toEqual([]);

    const form = page.getByRole('form', { name: 'Set a negotiated rate' });
    await form.getByLabel('Model', { exact: true }).fill('claude-opus-4');
    await form.getByLabel('Input', { exact: true }).fill('1200');
    await form.getByLabel('Output', { exact: true }).fill('6000');
    await form.getByLabel('Why (kept in the audit log)').fill('Enterprise agreement');
    await form.getByRole('button', { name: 'Set the rate' }).click();
    await page.getByText('claude-opus-4 is costed at the negotiated rate from tomorrow.').waitFor();
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    expect(await page.getByTestId('model-cost-claude-opus-4').textContent()).toContain(
      `1200¢ / 6000¢ from ${tomorrow}`,
    );
    // The floor, set from the page.
    const floorForm = page.getByRole('form', { name: 'Margin floor' });
    await floorForm.getByLabel('Least margin (percent of the price)').fill('20');
    await floorForm.getByRole('button', { name: 'Set the floor' }).click();
    await page.getByText('The margin floor is 20 %.').waitFor();
    await page
      .getByTestId('margin-floor-now')
      .getByText(/less than 20 % above their cost/)
      .waitFor();
    // A day already begun is refused, with the reason.
    await form.getByLabel('Model', { exact: true }).fill('gpt-4o');
    await form.getByLabel('From (UTC day)').fill('2026-01-01');
    await form.getByLabel('Input', { exact: true }).fill('1');
    await form.getByLabel('Output', { exact: true }).fill('1');
    await form.getByLabel('Why (kept in the audit log)').fill('Backdated');
    await form.getByRole('button', { name: 'Set the rate' }).click();
    await page.getByText(/history is never rewritten/).waitFor();
  });
});
