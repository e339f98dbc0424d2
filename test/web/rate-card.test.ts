import type { Browser } from 'playwright-core';
import type { TestApi } from '../helpers/api';
import { join } from 'node:path';
import { openWebApp, SCREENSHOT_DIR, seriousA11yViolations, signInAs } from './browser';

/**
 * A plan's rate card edited in the console: token kinds priced apart, a card below the margin floor refused
 * with the line at fault named, then published on purpose with a reason.
 */
describe('a rate card in the console', () => {
  let web: Awaited<ReturnType<typeof openWebApp>>;
  let api: TestApi;
  let browser: Browser;

  beforeAll(async () => {
    web = await openWebApp();
    ({ api, browser } = web);
  });
  afterAll(() => web?.close());

  it("publishes a card pricing gpt-4o's input and output apart, holding it to the margin floor", async () => {
    const page = await signInAs(browser, api.url, {
      email: 'pricing@example.com',
      role: 'admin',
      next: '/admin/plans',
    });
    await page.getByRole('button', { name: 'Edit professional' }).click();
    const section = page.getByRole('region', { name: 'Rate card of professional', exact: true });
    await section.getByText('No lines: usage is priced by the plan').waitFor();
    const form = section.getByRole('form', { name: 'Edit the rate card of professional' });
    const editor = form.getByLabel('The card (JSON)');

    await editor.fill('[{"usage_type": "inference",');
    await form.getByRole('button', { name: 'Publish the card in USD' }).click();
    await form.getByText(/^Not a card:/).waitFor();

    // gpt-4o output costs 1,000¢ a million: 0.0005¢ a token sells it at half its cost.
    const card = [
      { usage_type: 'inference', price: { model: 'per_unit', unit_amount_decimal: '0.0001' } },
      {
        usage_type: 'inference',
        match: { model: 'gpt-4o', direction: 'input' },
        price: { model: 'per_unit', unit_amount_decimal: '0.0004' },
      },
      {
        usage_type: 'inference',
        match: { model: 'gpt-4o', direction: 'output' },
        price: { model: 'per_unit', unit_amount_decimal: '0.0005' },
      },
    ];
    await editor.fill(JSON.stringify(card, null, 2));
    await form.getByRole('button', { name: 'Publish the card in USD' }).click();
    await section.getByText('Error code: margin_below_floor (HTTP 409)').waitFor();
    expect(await section.getByRole('alert').first().textContent()).toContain(
      'sells gpt-4o output tokens at 500¢ per million against a cost of 1000¢',
    );
    expect(await section.getByTestId('rate-card-field').textContent()).toBe('At fault: rate_card.2');

    await form.getByLabel(/Why sell below the margin floor/).fill('Launch promotion');
    await form.getByRole('button', { name: 'Publish the card in USD' }).click();
    await section.getByText('The rate card of professional in USD is published.').waitFor();
    const table = section.getByRole('region', { name: 'Rate card of professional in USD' });
    await table.getByText('inference[direction=output,model=gpt-4o]').waitFor();
    const rows = await table
      .locator('tbody tr')
      .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('th, td')].map((c) => c.textContent)));
    expect(rows).toEqual([
      ['inference', '0', '0.0001¢ a unit (100¢ a million)'],
      ['inference[direction=input,model=gpt-4o]', '0', '0.0004¢ a unit (400¢ a million)'],
      ['inference[direction=output,model=gpt-4o]', '0', '0.0005¢ a unit (500¢ a million)'],
    ]);
    // What the API now answers is what the table shows.
    const plan = await web.api.request('GET', '/api/v1/subscriptions/plans/professional');
    expect(plan.body.rate_card.map((l: { key: string }) => l.key)).toEqual([
      'inference',
      'inference[direction=input,model=gpt-4o]',
      'inference[direction=output,model=gpt-4o]',
    ]);

    // Sold in euros too: the euro card starts as a copy, and the two are edited and published together.
    const currencies = page.getByRole('form', { name: 'Price professional in a currency' });
    await currencies.getByLabel('Currency').selectOption('eur');
    await currencies.getByLabel('Monthly price (cents)').fill('4500');
    await currencies.getByLabel('Yearly price (cents)').fill('45000');
    await currencies.getByRole('button', { name: 'Sell professional in EUR' }).click();
    await page
      .getByText('Its rate card is a copy of the USD one: reprice it in the Rate card section.')
      .waitFor();
    const both = section.getByLabel('The cards by currency (JSON)');
    await both.waitFor();
    const cards = JSON.parse(await both.inputValue()) as Record<
      string,
      { price: { unit_amount_decimal: string } }[]
    >;
    expect(Object.keys(cards)).toEqual(['usd', 'eur']);
    // About nine tenths of the dollar prices, in euro cents.
    ['0.00009', '0.00036', '0.00045'].forEach((d, i) => (cards.eur![i]!.price.unit_amount_decimal = d));
    await both.fill(JSON.stringify(cards));
    await form.getByRole('button', { name: 'Publish the cards' }).click();
    await section.getByText('The rate cards of professional in USD, EUR are published.').waitFor();
    const priced = await web.api.request('GET', '/api/v1/subscriptions/plans/professional');
    expect(
      priced.body.currency_prices.eur.rate_card.map(
        (l: { price: { unit_amount_decimal: string } }) => l.price.unit_amount_decimal,
      ),
    ).toEqual(['0.00009', '0.00036', '0.00045']);
    expect(await seriousA11yViolations(page)).toEqual([]);
    // The section alone: the page around it is the plan forms.
    await section.screenshot({ path: join(SCREENSHOT_DIR, 'admin-plan-rate-card.png') });
  });
});
