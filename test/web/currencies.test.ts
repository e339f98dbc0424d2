import type { Browser } from 'playwright-core';
import type { TestApi } from '../helpers/api';
import { Customer } from '../../db/entities';
import { newId } from '../../db/ids';
import { sqlFor } from '../../db/raw-sql';
import { bookWriter } from '../helpers/book';
import { seedSubscriber } from '../usage/seed-subscriber';
import { openWebApp, screenshot, seriousA11yViolations, signInAs } from './browser';

/**
 * Several currencies in real Chromium: an operator prices professional in euros on the Plans page, a
 * visitor whose browser speaks German sees euros and may switch to dollars, and the Revenue page sums the
 * book's currencies at the rate the operator sets.
 */
describe('currencies and tax in the browser', () => {
  let web: Awaited<ReturnType<typeof openWebApp>>;
  let api: TestApi;
  let browser: Browser;

  beforeAll(async () => {
    web = await openWebApp();
    ({ api, browser } = web);
  });
  afterAll(() => web?.close());

  it('lets an operator sell professional in euros', async () => {
    const page = await signInAs(browser, api.url, {
      email: 'boss@example.com',
      role: 'admin',
      next: '/admin/plans',
    });
    await page.getByRole('button', { name: 'Edit professional' }).click();
    const form = page.getByRole('form', { name: 'Price professional in a currency' });
    await form.getByLabel('Currency').selectOption('eur');
    await form.getByLabel('Monthly price (cents)').fill('4500');
    await form.getByLabel('Yearly price (cents)').fill('45000');
    await form.getByLabel('Overage per 1,000 units (cents)').fill('9');
    await form.getByRole('button', { name: 'Sell professional in EUR' }).click();
    await page
      .getByText('professional is sold in EUR; Stripe gets its prices at the next catalog sync.')
      .waitFor();
    const prices = page.getByRole('region', { name: 'Prices of professional by currency' });
    await prices.getByRole('cell', { name: '€45.00' }).waitFor();
    expect(await prices.getByRole('row').nth(1).getByRole('cell').allTextContents()).toEqual([
      '€45.00',
      '€450.00',
      '€0.09',
      'Stop selling in EUR',
    ]);
    expect(await page.getByTestId('plan-professional-v1').getByRole('cell').nth(3).textContent()).toBe(
      'USD, EUR',
    );
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'admin-plan-currencies');
  });

  it('shows a German visitor euros, and dollars when asked', async () => {
    const page = await signInAs(browser, api.url, {
      email: 'greta@example.com',
      role: 'viewer',
      next: '/plans',
      locale: 'de-DE',
    });
    const card = page.getByRole('article', { name: /Professional/ });
    await card.getByText('45,00 €').waitFor();
    // Only professional is sold in euros.
    expect(await page.getByRole('article').count()).toBe(1);
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'plans-in-euros');
    await page.getByLabel('Currency').selectOption('usd');
    await card.getByText('49,00 $').waitFor();
    expect(await page.getByRole('article').count()).toBeGreaterThan(1);
    // The Subscribe page takes the currency the card showed.
    await page.getByLabel('Currency').selectOption('eur');
    await card.getByRole('link', { name: 'Choose Professional' }).click();
    await page.getByText(/You pay 45,00\s€ today for Professional/).waitFor();
  });

  it('sums the book’s currencies at the rate the operator sets', async () => {
    const start = new Date(Date.now() - 86_400_000);
    await seedSubscriber(web.db.orm, {
      email: 'usd-payer@example.com',
      plan: 'professional',
      periodStart: start,
    });
    await seedSubscriber(web.db.orm, {
      email: 'eur-payer@example.com',
      plan: 'professional',
      periodStart: start,
      currency: 'eur',
    });
    // Overage the dollar subscriber ran up in a period that began this month: 1,500 units, 500 included.
    const sql = sqlFor(web.db.orm.em.fork());
    const monthStart = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), 1));
    const payer = await web.db.orm.em.fork().findOneOrFail(Customer, { email: 'usd-payer@example.com' });
    await sql.run(
      `insert into usage_rollups (id, customer_id, type, line_key, period_start, window_start, window_end, quantity,
         identifier, created_at) values (?, ?, 'inference', '*', ?, ?, ?, 1500, ?, ?)`,
      [
        newId('urol'),
        payer.id,
        sql.date(monthStart),
        sql.date(monthStart),
        sql.date(new Date(monthStart.getTime() + 300_000)),
        `${payer.id}:inference:web`,
        sql.date(new Date()),
      ],
    );
    const page = await signInAs(browser, api.url, {
      email: 'boss@example.com',
      role: 'admin',
      next: '/admin',
    });
    await page.getByText('No rate for EUR: left out of the total.').waitFor();
    // The pool's overage: 1,000 units past the 500 included, at $2.00 per 1,000.
    expect(await page.getByTestId('usage-line-*').getByRole('cell').allTextContents()).toEqual([
      '1,500',
      '500',
      '$2.00',
      '1',
    ]);
    const rates = page.getByRole('form', { name: 'Exchange rates' });
    await rates.getByLabel('Add a rate for').selectOption('eur');
    await rates.getByRole('button', { name: 'Add EUR' }).click();
    await rates.getByLabel('1 EUR in USD').fill('1.08');
    await rates.getByRole('button', { name: 'Save the rates' }).click();
    await page.getByText('Exchange rates saved.').waitFor();
    const eur = page.getByTestId('currency-eur');
    await eur.getByRole('cell', { name: '1.08' }).waitFor();
    // €45.00 a month is $48.60 at 1.08; with the dollar subscriber's $49.00, $97.60.
    expect(await eur.getByRole('cell').allTextContents()).toEqual([
      '1.08',
      '€45.00',
      '€540.00',
      '€0.00',
      '$48.60',
    ]);
    expect(await page.getByTestId('currency-total').getByRole('cell').last().textContent()).toBe('$97.60');
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'revenue-currencies');
  });

  it('shows the tax on a customer’s invoices, and their billing address and VAT number in the console', async () => {
    const em = web.db.orm.em.fork();
    const book = bookWriter(em);
    const anna = book.customer({ email: 'anna-de@example.com', userId: 'local-anna-de@example.com' });
    anna.billingAddress = {
      country: 'DE',
      line1: 'Hauptstr. 1',
      line2: null,
      city: 'Berlin',
      postalCode: '10115',
      state: null,
    };
    const bruno = book.customer({ email: 'bruno-fr@example.com', userId: 'local-bruno-fr@example.com' });
    bruno.billingAddress = {
      country: 'FR',
      line1: null,
      line2: null,
      city: null,
      postalCode: null,
      state: null,
    };
    bruno.taxIds = [{ type: 'eu_vat', value: 'FR40303265045' }];
    const at = new Date(Date.now() - 3_600_000);
    book.subscription(anna, { createdAt: at, amountCents: 4500, currency: 'eur', status: 'active' });
    book.invoice(anna, {
      amountCents: 4500,
      taxCents: 855,
      currency: 'eur',
      createdAt: at,
      number: 'DE-0001',
    });
    book.subscription(bruno, { createdAt: at, amountCents: 4500, currency: 'eur', status: 'active' });
    book.invoice(bruno, {
      amountCents: 4500,
      reverseCharge: true,
      currency: 'eur',
      createdAt: at,
      number: 'FR-0001',
    });
    await em.flush();

    const page = await signInAs(browser, api.url, {
      email: 'anna-de@example.com',
      role: 'viewer',
      next: '/billing/invoices',
      locale: 'de-DE',
    });
    const row = page.getByRole('row', { name: /DE-0001/ });
    await row.getByText(/inkl|incl/).waitFor();
    expect(await row.getByRole('cell').nth(3).innerText()).toMatch(/53,55\s€\s+incl\. 8,55\s€ tax/);
    await screenshot(page, 'invoices-with-tax');

    const operator = await signInAs(browser, api.url, {
      email: 'boss@example.com',
      role: 'admin',
      next: '/admin/customer?email=bruno-fr%40example.com',
    });
    await operator.getByTestId('tax-ids').getByText('FR40303265045 (eu_vat)').waitFor();
    expect(await operator.getByTestId('billing-address').textContent()).toBe('FR');
    expect(await seriousA11yViolations(operator)).toEqual([]);
  });
});
