import type { Browser, Page } from 'playwright-core';
import { addGrant } from '../../db/credit-ledger';
import { sqlFor } from '../../db/raw-sql';
import type { TestApi } from '../helpers/api';
import { bookWriter, DAY } from '../helpers/book';
import { openWebApp, screenshot, seriousA11yViolations, signInAs } from './browser';

/**
 * Prepaid credits in real Chromium: the customer's Credits page, the ledger on the console's customer page
 * (grant, void, extend, the spend cap maximum) and the console's credit packs.
 */
describe('credits in the browser', () => {
  let web: Awaited<ReturnType<typeof openWebApp>>;
  let db: typeof web.db;
  let api: TestApi;
  let browser: Browser;
  const email = 'cora-credits@example.com';
  let customerId = '';

  beforeAll(async () => {
    web = await openWebApp();
    ({ db, api, browser } = web);
    const em = db.orm.em.fork();
    const book = bookWriter(em);
    // The user id the development sign-in gives this email, so the test can act as the customer.
    const cora = book.customer({
      email,
      userId: `local-${email}`,
      createdAt: new Date(Date.now() - 3 * DAY),
    });
    book.subscription(cora, {
      tier: 'professional',
      amountCents: 4900,
      status: 'active',
      createdAt: new Date(Date.now() - 3 * DAY),
    });
    await em.flush();
    customerId = cora.id;
    const sql = sqlFor(db.orm.em.fork());
    await addGrant(sql, {
      customerId,
      amount: 5000,
      source: 'promotion',
      effectiveAt: new Date(Date.now() - DAY),
      expiresAt: new Date(Date.now() + 60 * DAY),
      sourceKey: `promotion:${customerId}:launch`,
      reason: 'Launch offer',
    });
  });
  afterAll(() => web?.close());

  async function signedIn(who: string, role: 'admin' | 'viewer'): Promise<Page> {
    const page = await signInAs(browser, api.url, { email: who, role, next: '/billing' });
    await page.getByRole('heading', { level: 1, name: 'Billing' }).waitFor();
    return page;
  }

  async function tokenFor(who: string, role: 'admin' | 'viewer'): Promise<string> {
    const res = await api.request('POST', '/api/v1/auth/dev-token', { body: { email: who, role } });
    return (res.body as { access_token: string }).access_token;
  }

  /** A day `days` from now as a date input takes it, and as the page shows it (en-US, UTC). */
  function dayFromNow(days: number): { input: string; shown: string } {
    const at = new Date(Date.now() + days * DAY);
    return {
      input: at.toISOString().slice(0, 10),
      shown: new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeZone: 'UTC' }).format(at),
    };
  }

  it('shows the customer their balance, grants and included credits, and saves a spend cap', async () => {
    const page = await signedIn(email, 'viewer');
    await page.getByRole('navigation').getByRole('link', { name: 'Credits' }).click();
    await page.getByRole('heading', { level: 1, name: 'Credits' }).waitFor();
    expect(await page.getByTestId('credit-balance').textContent()).toBe('5,000 credits');
    const grants = page.getByRole('region', { name: 'Credit grants' });
    expect(await grants.getByRole('row').nth(1).textContent()).toContain('Launch offer');
    expect(await page.locator('#included-heading + p').textContent()).toContain('500 of 500 left');

    await page.getByLabel(/Most overage a billing period may cost/).fill('12.50');
    await page.getByLabel('Only tell me').check();
    await page.getByRole('button', { name: 'Save the cap' }).click();
    await page.getByText('Spend cap saved.').waitFor();
    const cap = await api.request('GET', '/api/v1/billing/spend-cap', {
      token: (await api.request('POST', '/api/v1/auth/dev-token', { body: { email, role: 'viewer' } })).body
        .access_token,
    });
    expect(cap.body).toMatchObject({ amount_cents: 1250, mode: 'notify' });
    // A value the API refuses is shown with the field it names.
    await page.getByLabel(/Most overage a billing period may cost/).fill('-3');
    await page.getByRole('button', { name: 'Save the cap' }).click();
    await page.getByRole('alert').waitFor();
    // Alerts: the engine's 80 % holds until the customer sets their own.
    expect(await page.locator('label[for="alert-percent"]').textContent()).toContain('80 % (the default)');
    await page.getByLabel(/Tell me when my prepaid balance falls below/).fill('1000');
    await page.getByRole('button', { name: 'Save the alerts' }).click();
    await page.getByText('Alerts saved.').waitFor();
    await page.locator('label[for="alert-below"]').filter({ hasText: '1,000 (yours)' }).waitFor();
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'credits');
  });

  it('lets an operator grant credits and void a grant, and shows the ledger of both', async () => {
    const page = await signedIn('boss@example.com', 'admin');
    await page.goto(`${api.url}/admin/customer?email=${encodeURIComponent(email)}`);
    const card = page.getByRole('region', { name: 'Credits', exact: true });
    await card.getByTestId('admin-credit-balance').waitFor();
    expect(await card.getByTestId('admin-credit-balance').textContent()).toBe('5,000');

    await card.getByLabel('Credits to grant').fill('250');
    await card.getByLabel('Reason').fill('Outage on the 3rd');
    await card.getByRole('button', { name: 'Grant credits' }).click();
    await card.getByText('Granted 250 credits.').waitFor();
    await card
      .getByTestId('admin-credit-balance')
      .filter({ hasText: /^5,250$/ })
      .waitFor();

    page.once('dialog', (d) => void d.accept('Offer withdrawn'));
    const launch = card.getByRole('row').filter({ hasText: 'Launch offer' });
    await launch.getByRole('button', { name: 'Void' }).click();
    await card.getByText('Voided what was left of the grant.').waitFor();
    await card.getByTestId('admin-credit-balance').filter({ hasText: /^250$/ }).waitFor();
    const movements = card.getByRole('region', { name: 'Movements' });
    expect(await movements.getByRole('row').nth(1).textContent()).toMatch(
      /void.*5,000.*Offer withdrawn.*boss@example\.com/,
    );
    // Both actions are in the customer's audit entries.
    const audit = page.getByRole('region', { name: 'Audit entries about this customer' });
    await audit.getByText('credits.void').waitFor();
    expect(await audit.getByText('credits.grant').count()).toBe(1);
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'admin-customer-credits');

    const ledger = await db.orm.em
      .fork()
      .getConnection()
      .execute('select kind, amount from credit_movements where customer_id = ?', [customerId]);
    expect(ledger).toEqual([{ kind: 'void', amount: 5000 }]);
  });

  it("lets an operator extend a grant's expiry and set the highest spend cap the customer may set", async () => {
    const sql = sqlFor(db.orm.em.fork());
    await addGrant(sql, {
      customerId,
      amount: 300,
      source: 'promotion',
      effectiveAt: new Date(Date.now() - DAY),
      expiresAt: new Date(Date.now() + 10 * DAY),
      sourceKey: `promotion:${customerId}:trial`,
      reason: 'Trial credits',
    });
    const page = await signedIn('boss@example.com', 'admin');
    await page.goto(`${api.url}/admin/customer?email=${encodeURIComponent(email)}`);
    const card = page.getByRole('region', { name: 'Credits', exact: true });
    const trial = card.getByRole('row').filter({ hasText: 'Trial credits' });
    await trial.waitFor();
    expect(await trial.textContent()).toContain(dayFromNow(10).shown);

    await trial.getByRole('button', { name: 'Extend' }).click();
    const extend = card.getByRole('form', { name: 'Extend the grant' });
    const later = dayFromNow(90);
    await extend.getByLabel('New expiry').fill(later.input);
    await extend.getByLabel('Reason for the extension').fill('Onboarding took longer');
    await screenshot(page, 'admin-customer-credits-extend-form');
    await extend.getByRole('button', { name: 'Extend the grant' }).click();
    await card.getByText(`Extended the grant to ${later.shown}.`).waitFor();
    await trial.filter({ hasText: later.shown }).waitFor();
    expect(await extend.count()).toBe(0);
    const admin = await tokenFor('boss@example.com', 'admin');
    const ledger = await api.request(
      'GET',
      `/api/v1/admin/billing/customers/${encodeURIComponent(email)}/credits`,
      { token: admin },
    );
    const grants = (ledger.body as { credits: { grants: { reason: string | null; expires_at: string }[] } })
      .credits.grants;
    expect(grants.find((g) => g.reason === 'Trial credits')?.expires_at).toBe(`${later.input}T23:59:59.000Z`);

    // A maximum below the customer's own cap lowers theirs to it (or sets it, when they had none).
    expect(await card.getByText('no spend cap maximum').count()).toBe(1);
    await card.getByLabel('Maximum in USD (empty: none)').fill('10');
    await card.getByRole('button', { name: 'Save the maximum' }).click();
    await card.getByText("Spend cap maximum set to 10.00 USD; the customer's cap is 10.00 USD.").waitFor();
    await card
      .getByTestId('admin-spend-cap-max')
      .filter({ hasText: /^10\.00 USD$/ })
      .waitFor();
    const audit = page.getByRole('region', { name: 'Audit entries about this customer' });
    await audit.getByText('credits.extend').waitFor();
    await audit.getByText('credits.spend_cap_max').waitFor();
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'admin-customer-credits-extend');
    const customer = await tokenFor(email, 'viewer');
    const cap = await api.request('GET', '/api/v1/billing/spend-cap', { token: customer });
    expect(cap.body).toMatchObject({ amount_cents: 1000, max_cents: 1000 });

    // Emptied, the maximum is lifted; the customer's cap stays where it is.
    await card.getByLabel('Maximum in USD (empty: none)').fill('');
    await card.getByRole('button', { name: 'Save the maximum' }).click();
    await card.getByText('The customer may set any spend cap.').waitFor();
    await card.getByText('no spend cap maximum').waitFor();
    const lifted = await api.request('GET', '/api/v1/billing/spend-cap', { token: customer });
    expect(lifted.body).toMatchObject({ amount_cents: 1000, max_cents: null });
  });

  it("labels a euro customer's spend cap maximum in euros, the currency their cap is in", async () => {
    const euros = 'emma-credits@example.com';
    const em = db.orm.em.fork();
    const book = bookWriter(em);
    const emma = book.customer({
      email: euros,
      userId: `local-${euros}`,
      createdAt: new Date(Date.now() - 3 * DAY),
    });
    book.subscription(emma, {
      tier: 'professional',
      amountCents: 4500,
      currency: 'eur',
      status: 'active',
      createdAt: new Date(Date.now() - 3 * DAY),
    });
    await em.flush();
    const page = await signedIn('boss@example.com', 'admin');
    await page.goto(`${api.url}/admin/customer?email=${encodeURIComponent(euros)}`);
    const card = page.getByRole('region', { name: 'Credits', exact: true });
    await card.getByLabel('Maximum in EUR (empty: none)').fill('12.50');
    await card.getByRole('button', { name: 'Save the maximum' }).click();
    await card.getByText("Spend cap maximum set to 12.50 EUR; the customer's cap is 12.50 EUR.").waitFor();
    await card
      .getByTestId('admin-spend-cap-max')
      .filter({ hasText: /^12\.50 EUR$/ })
      .waitFor();
    expect(await card.getByText(/USD/).count()).toBe(0);
    const customer = await tokenFor(euros, 'viewer');
    const cap = await api.request('GET', '/api/v1/billing/spend-cap', { token: customer });
    expect(cap.body).toMatchObject({ amount_cents: 1250, max_cents: 1250 });
  });

  it('offers a customer under an administrator’s maximum only a cap that refuses usage', async () => {
    const held = 'hana-credits@example.com';
    const em = db.orm.em.fork();
    const book = bookWriter(em);
    const hana = book.customer({
      email: held,
      userId: `local-${held}`,
      createdAt: new Date(Date.now() - DAY),
    });
    book.subscription(hana, {
      tier: 'professional',
      amountCents: 4900,
      status: 'active',
      createdAt: new Date(Date.now() - DAY),
    });
    await em.flush();
    const admin = await tokenFor('boss@example.com', 'admin');
    const max = await api.request(
      'PUT',
      `/api/v1/admin/billing/customers/${encodeURIComponent(held)}/spend-cap-max`,
      {
        token: admin,
        body: { max_cents: 2000 },
      },
    );
    expect(max.status).toBe(200);

    const page = await signedIn(held, 'viewer');
    await page.getByRole('navigation').getByRole('link', { name: 'Credits' }).click();
    await page.getByRole('heading', { level: 1, name: 'Credits' }).waitFor();
    const form = page.getByRole('form', { name: 'Spend cap' });
    await form
      .getByText('Your administrator allows at most $20.00, and usage past your cap is refused.')
      .waitFor();
    expect(await form.getByLabel('Only tell me').isDisabled()).toBe(true);
    expect(await form.getByLabel('Refuse usage').isChecked()).toBe(true);
    await form.getByLabel(/Most overage a billing period may cost/).fill('15');
    await form.getByRole('button', { name: 'Save the cap' }).click();
    await form.getByText('Spend cap saved.').waitFor();
    const cap = await api.request('GET', '/api/v1/billing/spend-cap', {
      token: await tokenFor(held, 'viewer'),
    });
    expect(cap.body).toMatchObject({ amount_cents: 1500, mode: 'block', max_cents: 2000 });
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'credits-under-maximum');
  });

  it('lets an operator put a credit pack on sale and take it off sale', async () => {
    const page = await signedIn('boss@example.com', 'admin');
    await page.getByRole('navigation').getByRole('link', { name: 'Credit packs' }).click();
    await page.getByRole('heading', { level: 1, name: 'Credit packs' }).waitFor();
    await page.getByText('No credit packs yet.').waitFor();

    const form = page.getByRole('form', { name: 'New credit pack' });
    await form.getByLabel('Code').fill('boost-1000');
    await form.getByLabel('Name').fill('Boost 1,000');
    await form.getByLabel('Credits', { exact: true }).fill('1000');
    await form.getByLabel(/^Price/).fill('19.99');
    await form.getByLabel(/Professional/).check();
    await form.getByLabel(/Credits expire this many days after purchase/).fill('365');
    await form.getByRole('button', { name: 'Create pack' }).click();
    await page.getByText('Boost 1,000 is on sale.').waitFor();
    const row = page.getByRole('region', { name: 'Credit packs' }).getByRole('row').nth(1);
    expect(await row.getByRole('rowheader').textContent()).toBe('Boost 1,000 boost-1000');
    expect(await row.getByRole('cell').allTextContents()).toEqual([
      '1,000',
      '$19.99',
      'USD',
      'professional',
      '365 days after purchase',
      'Yes',
      'Deactivate',
    ]);
    const onSale = await api.request('GET', '/api/v1/plans/credit-packs');
    expect((onSale.body as { packs: unknown[] }).packs).toEqual([
      expect.objectContaining({
        code: 'boost-1000',
        credits: 1000,
        price_cents: 1999,
        currency: 'usd',
        plan_codes: ['professional'],
        expires_after_days: 365,
        active: true,
      }),
    ]);
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'admin-credit-packs');

    await row.getByRole('button', { name: 'Deactivate Boost 1,000' }).click();
    await page.getByText('Boost 1,000 is off sale; purchases made keep their credits.').waitFor();
    await row.getByRole('cell').filter({ hasText: /^No$/ }).waitFor();
    expect(await row.getByRole('button').textContent()).toBe('Activate');
    expect((await api.request('GET', '/api/v1/plans/credit-packs')).body).toEqual({ packs: [] });
    const all = await api.request('GET', '/api/v1/admin/billing/credit-packs', {
      token: await tokenFor('boss@example.com', 'admin'),
    });
    expect((all.body as { packs: unknown[] }).packs).toEqual([
      expect.objectContaining({ code: 'boost-1000', active: false }),
    ]);
    await screenshot(page, 'admin-credit-packs-off-sale');
  });
});
