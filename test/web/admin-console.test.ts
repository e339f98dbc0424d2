import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { webAppBuilt } from '../../api/pages/web-app';
import { ensureUsageRollup } from '../../worker/usage-rollup';
import { AuditEntry, DailyUsage, ProviderKey, UsageEvent } from '../../db/entities';
import { startTestApi, type TestApi } from '../helpers/api';
import { bookWriter, DAY } from '../helpers/book';
import { openTestDatabase } from '../helpers/db';
import { waitUntil } from '../helpers/eventually';
import { startFullStack, type FullStack } from '../helpers/full-stack';
import { launchChromium, screenshot, seriousA11yViolations } from './browser';

/**
 * The operator's console in real Chromium against the API serving the built app, over a book of
 * subscriptions whose figures are worked out by hand below.
 */
describe("the operator's console in a browser", () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let api: TestApi;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let browser: Browser;
  const upgraded = 'grace-upgraded@example.com';

  beforeAll(async () => {
    if (!webAppBuilt())
      throw new Error('web/dist is missing: `node tools/web.js` builds it (npm test runs it)');
    [db, chromium] = await Promise.all([openTestDatabase('sqlite'), launchChromium()]);
    browser = chromium.browser;
    api = await startTestApi({
      orm: db.orm,
      env: { OIDC_ISSUER: '', OIDC_JWKS_URL: '', DEV_SIGN_IN: 'true' },
    });
    const em = db.orm.em.fork();
    const book = bookWriter(em);
    const ago = (days: number) => new Date(Date.now() - days * DAY);
    const sub = (email: string, row: Parameters<typeof book.subscription>[1]) =>
      book.subscription(
        // The user id the development sign-in gives this email, so a test can act as the customer.
        book.customer({
          email,
          userId: `local-${email}`,
          createdAt: row.createdAt,
          name: email.split('@')[0],
        }),
        row,
      );
    // Paying now, yearly amounts: 4900 × 12 = 58800; 19000 (yearly); 1900 × 12 = 22800, upgraded to
    // enterprise 9900 × 12 = 118800 ten days ago. ARR 58800 + 19000 + 118800 = 196600, MRR 16383.33.
    sub('ada-pro@example.com', {
      tier: 'professional',
      amountCents: 4900,
      status: 'active',
      createdAt: ago(100),
    });
    sub('bob-yearly@example.com', {
      tier: 'starter',
      amountCents: 19000,
      interval: 'year',
      status: 'active',
      createdAt: ago(200),
    });
    const g = sub(upgraded, { tier: 'starter', amountCents: 1900, status: 'active', createdAt: ago(60) });
    book.change(g, { at: ago(10), tier: 'enterprise', amountCents: 9900 });
    // Grace's money, usage, key and an operator's earlier refund, for the customer page.
    const graceInvoice = book.invoice(g.customer, {
      amountCents: 9900,
      createdAt: ago(10),
      subscription: g,
      number: 'GRACE-0001',
    });
    const graceCharge = book.charge(g.customer, {
      amountCents: 9900,
      createdAt: ago(10),
      invoice: graceInvoice,
    });
    book.refund(graceCharge, { amountCents: 900, createdAt: ago(9) });
    g.currentPeriodStart = ago(10);
    g.currentPeriodEnd = ago(-20);
    em.create(DailyUsage, {
      customerId: g.customer.id,
      day: ago(1).toISOString().slice(0, 10),
      type: 'inference',
      quantity: 40,
    });
    em.create(DailyUsage, {
      customerId: g.customer.id,
      day: ago(0).toISOString().slice(0, 10),
      type: 'tts',
      quantity: 2,
    });
    for (const [i, type, quantity] of [
      [1, 'inference', 40],
      [2, 'tts', 2],
    ] as const) {
      em.create(UsageEvent, {
        id: `uev_grace_${i}`,
        customer: g.customer,
        eventId: `grace-${i}`,
        reporter: 'gateway',
        type,
        quantity,
        occurredAt: ago(i === 1 ? 1 : 0),
      });
    }
    em.create(ProviderKey, {
      id: 'pk_grace_openai',
      customer: g.customer,
      provider: 'openai',
      ciphertext: 'bm90IGEga2V5',
      nonce: 'bm9uY2U=',
      keyHint: 'k9Zq',
    });
    em.create(AuditEntry, {
      id: 'aud_grace_refund',
      actorId: 'ops-1',
      actorEmail: 'ops@example.com',
      action: 'invoice.refund',
      entityType: 'invoice',
      entityId: graceInvoice.stripeInvoiceId,
      before: null,
      after: { amount_cents: 900 },
    });
    // Not paying: a trial and one that ended 5 days ago.
    sub('tess-trial@example.com', {
      tier: 'starter',
      amountCents: 1900,
      status: 'trialing',
      createdAt: ago(2),
    });
    const carl = sub('carl-gone@example.com', {
      tier: 'professional',
      amountCents: 4900,
      status: 'canceled',
      createdAt: ago(90),
      canceledAt: ago(5),
      endedAt: ago(5),
    });
    // A second currency in the book, long ended, so the overview offers a currency selector.
    book.subscription(carl.customer, {
      tier: 'professional',
      amountCents: 4500,
      currency: 'eur',
      status: 'canceled',
      createdAt: ago(300),
      canceledAt: ago(200),
      endedAt: ago(200),
    });
    await book.flush();
  }, 120_000);

  afterAll(async () => {
    await chromium?.close();
    await api?.stop();
    await db?.close();
  });

  async function signedIn(email: string, role: 'admin' | 'viewer'): Promise<Page> {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      acceptDownloads: true,
    });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(`${api.url}/signin?next=${encodeURIComponent('/billing')}`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Role').selectOption(role);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Billing' }).waitFor();
    return page;
  }

  async function expectAccessible(page: Page, name: string) {
    expect({ page: name, violations: await seriousA11yViolations(page) }).toEqual({
      page: name,
      violations: [],
    });
  }

  it('shows an admin the revenue figures the API computes, which are the book worked out by hand', async () => {
    const page = await signedIn('boss@example.com', 'admin');
    const started = Date.now();
    await page.getByRole('navigation').getByRole('link', { name: 'Revenue' }).click();
    await page.getByRole('heading', { level: 1, name: 'Revenue' }).waitFor();
    const mrr = page.getByTestId('figure-MRR');
    await mrr.waitFor();
    await page.getByRole('img', { name: 'MRR at the end of each period' }).waitFor();
    await page.getByRole('img', { name: 'MRR movements per period' }).waitFor();
    console.log(
      `admin overview: figures and both charts on screen ${Date.now() - started} ms after the click`,
    );
    const token = await page.evaluate<string>(
      `JSON.parse(sessionStorage.getItem('billing.dev-session')).token`,
    );
    const figures = (await api.request('GET', '/api/v1/admin/revenue', { token })).body;
    expect(figures).toMatchObject({ mrr_cents: 16383, arr_cents: 196600, active_subscriptions: 3 });
    expect(await mrr.textContent()).toBe('$163.83');
    expect(await page.getByTestId('figure-ARR').textContent()).toBe('$1,966.00');
    expect(await page.getByTestId('figure-Active subscriptions').textContent()).toBe('3');
    // Definitions stand beside the figures.
    await page
      .getByText(/rounded once/)
      .first()
      .waitFor();
    // The chart's figures as a table: its last point is today's MRR.
    await page.getByText('Data table: MRR at the end of each period').click();
    const rows = page
      .getByRole('region', { name: 'MRR at the end of each period, figures' })
      .getByRole('row');
    expect(await rows.last().textContent()).toContain('$163.83');
    // Revenue by plan: enterprise carries the upgraded customer, 9900 of the 16383 a month (60.4 %).
    const tiers = page.getByRole('region', { name: 'Revenue by plan' });
    expect(await tiers.getByRole('row', { name: /enterprise/ }).textContent()).toContain('$99.0060.4 %');
    // The movements chart's table is the API's movements over the same 30 days, day by day: grace's
    // upgrade (+$80.00 expansion) ten days ago and carl's end (−$49.00 churn) five days ago.
    const day = (daysAgo: number) => new Date(Date.now() - daysAgo * DAY).toISOString().slice(0, 10);
    const moves = await api.request(
      'GET',
      `/api/v1/admin/revenue/movements?interval=day&from=${day(30)}&to=${day(0)}`,
      { token },
    );
    expect(moves.status).toBe(200);
    const usd = (cents: number) =>
      new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' }).format(cents / 100);
    type Moves = Record<
      'new' | 'expansion' | 'reactivated' | 'contraction' | 'churned',
      { mrr_cents: number }
    >;
    const expected = (moves.body.points as (Moves & { period: string })[]).map((p) => [
      p.period,
      usd(p.new.mrr_cents),
      usd(p.expansion.mrr_cents),
      usd(p.reactivated.mrr_cents),
      usd(0 - p.contraction.mrr_cents),
      usd(0 - p.churned.mrr_cents),
    ]);
    expect(expected.filter((row) => row.slice(1).some((v) => v !== '$0.00'))).toEqual([
      [day(10), '$0.00', '$80.00', '$0.00', '$0.00', '$0.00'],
      [day(5), '$0.00', '$0.00', '$0.00', '$0.00', '-$49.00'],
    ]);
    await page.getByText('Data table: MRR movements per period').click();
    const table = page.getByRole('region', { name: 'MRR movements per period, figures' });
    expect(await table.getByRole('columnheader').allTextContents()).toEqual([
      'Period',
      'New',
      'Expansion',
      'Reactivation',
      'Contraction',
      'Churn',
    ]);
    const tableRows = await table.getByRole('row').all();
    const shown = await Promise.all(tableRows.slice(1).map((tr) => tr.locator('th, td').allTextContents()));
    expect(shown).toEqual(expected);
    await screenshot(page, 'admin-overview');
    await expectAccessible(page, 'admin overview');

    // The book has two currencies: every request of the page asks for the one chosen.
    expect(figures.currencies).toEqual(['eur', 'usd']);
    const asked: string[] = [];
    page.on('request', (req) => {
      // The report across currencies (`/revenue/reporting`) takes none: it is every currency at once.
      if (/\/api\/v1\/admin\/(revenue(?!\/reporting)|subscriptions\/analytics)/.test(req.url()))
        asked.push(req.url());
    });
    // The euro figures come late, as on a slow network: until then the page must not show the dollar
    // figures it still holds under the euro's sign.
    await page.route(/\/api\/v1\/admin\/revenue\?.*currency=eur/, async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 400));
      await route.continue();
    });
    await page.getByRole('combobox', { name: /^Currency/ }).selectOption('eur');
    await page.getByText(/^Figures in EUR/).waitFor();
    expect(await page.getByTestId('figure-MRR').textContent()).toBe('€0.00');
    await page.getByRole('img', { name: 'MRR at the end of each period' }).waitFor();
    await page.getByRole('region', { name: 'Revenue by plan' }).waitFor();
    const paths = asked.map((u) => new URL(u).pathname).sort();
    expect(paths).toEqual([
      '/api/v1/admin/revenue',
      '/api/v1/admin/revenue/commitments',
      '/api/v1/admin/revenue/movements',
      '/api/v1/admin/revenue/timeseries',
      '/api/v1/admin/revenue/usage',
      '/api/v1/admin/subscriptions/analytics/revenue-by-tier',
    ]);
    for (const u of asked) expect(new URL(u).searchParams.get('currency')).toBe('eur');
    await screenshot(page, 'admin-overview-eur');
    await page.context().close();
  }, 60_000);

  it('finds a customer by email and shows their subscription with its timeline', async () => {
    const page = await signedIn('boss@example.com', 'admin');
    await page.getByRole('navigation').getByRole('link', { name: 'Customers' }).click();
    await page.getByRole('heading', { level: 1, name: 'Customers' }).waitFor();
    expect(await page.getByTestId('customer-total').textContent()).toContain('5 customers');
    // Filtered by the server on the live subscription: two on starter, of whom one is trialing.
    await page.getByLabel('Plan').selectOption('starter');
    await page
      .getByTestId('customer-total')
      .getByText(/^2 customers/)
      .waitFor();
    await page.getByLabel('Status').selectOption('trialing');
    await page
      .getByTestId('customer-total')
      .getByText(/^1 customer(?!s)/)
      .waitFor();
    const filtered = page.getByRole('region', { name: 'Customers' });
    expect(await filtered.getByRole('row').count()).toBe(2);
    await filtered.getByRole('link', { name: 'tess-trial@example.com' }).waitFor();
    await screenshot(page, 'admin-customers');
    // The export takes the same filters.
    const [trialFile] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    const trialCsv = readFileSync((await trialFile.path())!, 'utf8')
      .trim()
      .split('\r\n');
    expect(trialCsv).toHaveLength(2);
    expect(trialCsv[1]).toContain(',tess-trial@example.com,');
    expect(trialCsv[1]).toContain(',starter,trialing,');
    await page.getByLabel('Plan').selectOption('');
    await page.getByLabel('Status').selectOption('');
    await page
      .getByTestId('customer-total')
      .getByText(/^5 customers/)
      .waitFor();
    await page.getByLabel('Email or Stripe id').fill('grace');
    await page.getByRole('button', { name: 'Search' }).click();
    await page
      .getByTestId('customer-total')
      .getByText(/^1 customer(?!s)/)
      .waitFor();
    // The export holds the filtered list: the header and the one customer found.
    const [file] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    expect(file.suggestedFilename()).toBe('customers.csv');
    const csv = readFileSync((await file.path())!, 'utf8')
      .trim()
      .split('\r\n');
    expect(csv).toHaveLength(2);
    expect(csv[0]).toBe('customer_id,email,name,stripe_customer_id,user_id,tier,status,created');
    expect(csv[1]).toContain(`,${upgraded},grace-upgraded,`);
    expect(csv[1]).toContain(',enterprise,active,');
    await expectAccessible(page, 'admin customers');
    await page.getByRole('link', { name: upgraded }).click();
    await page.getByRole('heading', { level: 1, name: upgraded }).waitFor();
    expect(await page.getByTestId('admin-customer-tier').textContent()).toBe('enterprise');
    const timeline = page.getByTestId('timeline');
    await timeline.waitFor();
    // Every change the engine recorded: the subscription becoming active on starter, then the upgrade.
    const entries = await timeline.getByRole('listitem').allTextContents();
    expect(entries).toEqual([
      expect.stringContaining('plan starter → enterprise, $19.00 / month → $99.00 / month'),
      expect.stringContaining('incomplete → active, on starter at $19.00 / month'),
    ]);
    // Money: the invoice with its charge and the earlier refund; what is left can be refunded or credited.
    const invoiceRow = page
      .getByRole('region', { name: 'Invoices and charges' })
      .getByRole('row', { name: /GRACE-0001/ });
    expect(await invoiceRow.textContent()).toContain('$99.00$9.00$0.00');
    await invoiceRow.getByRole('button', { name: 'Refund GRACE-0001' }).waitFor();
    await invoiceRow.getByRole('button', { name: 'Credit note on GRACE-0001' }).waitFor();
    // Usage this period: 42 billable units, per day in the chart and its table.
    expect(await page.getByTestId('customer-usage-used').textContent()).toMatch(/^42 of [\d,]+ included$/);
    await page.getByRole('img', { name: 'Customer usage per day by type' }).waitFor();
    await page.getByText('Data table: Customer usage per day by type').click();
    const usageRows = page
      .getByRole('region', { name: 'Customer usage per day by type, figures' })
      .getByRole('row');
    expect(await usageRows.count()).toBe(11 + 1);
    // The key as its hint only, and the audit entries about grace.
    expect(await page.getByRole('list', { name: 'Stored provider keys' }).textContent()).toContain('…k9Zq');
    const audit = page.getByRole('region', { name: 'Audit entries about this customer' });
    expect(await audit.getByRole('row', { name: /invoice\.refund/ }).textContent()).toContain(
      'ops@example.com',
    );
    await screenshot(page, 'admin-customer');
    await expectAccessible(page, 'admin customer');
    await page.context().close();
  }, 60_000);

  it('shows the catalog with subscribers per version; an edit makes a version and the migration preview names who moves', async () => {
    const page = await signedIn('boss@example.com', 'admin');
    await page.getByRole('navigation').getByRole('link', { name: 'Catalog' }).click();
    await page.getByRole('heading', { level: 1, name: 'Plans' }).waitFor();
    // Two live professional subscriptions in the book (one upgraded away, one ended): ada's only.
    const pro = page.getByTestId('plan-professional-v1');
    // The heading is drawn before the catalog's answer: its rows come a moment later.
    await pro.waitFor();
    expect(await pro.getByRole('cell').allTextContents()).toEqual([
      '1 (current)',
      'active',
      '$49.00',
      'USD',
      '500',
      'no',
      'none',
      'on the start day',
      'per unit',
      '1',
      'not synced',
      expect.any(String),
    ]);
    await page.getByRole('button', { name: 'Edit professional' }).click();
    await page
      .getByRole('form', { name: 'Edit professional' })
      .getByLabel('Monthly price (cents)')
      .fill('5900');
    await page.getByRole('button', { name: 'Save professional' }).click();
    await page
      .getByText('professional is now version 2; 1 subscribers keep their version until migrated.')
      .waitFor();
    await page.getByTestId('plan-professional-v2').waitFor();
    expect(await page.getByTestId('plan-professional-v2').getByRole('cell').nth(0).textContent()).toBe(
      '2 (current)',
    );
    expect(await page.getByTestId('plan-professional-v1').getByRole('cell').nth(0).textContent()).toBe('1');
    await page.getByRole('button', { name: 'Preview migration of professional' }).click();
    const moves = page.getByRole('region', { name: 'Subscriptions that would move' });
    expect(await moves.getByRole('row', { name: /ada-pro@example.com/ }).textContent()).toBe(
      // A price change alone: nothing gained or lost.
      'ada-pro@example.com1$49.00 / month$59.00 / monthNothing',
    );
    await screenshot(page, 'admin-plans');
    await expectAccessible(page, 'admin plans');

    // A prepaid-only plan, made by ticking its box: saved so, and shown so in the list and its edit form.
    const create = page.getByRole('form', { name: 'New plan' });
    await create.getByLabel('Code').fill('prepaid-team');
    await create.getByLabel('Name').fill('Prepaid team');
    await create.getByLabel('Monthly price (cents)').fill('2900');
    await create.getByRole('checkbox', { name: 'Prepaid only' }).check();
    await create.getByRole('button', { name: 'Create plan' }).click();
    await page
      .getByText('prepaid-team is created, prepaid only; the catalog sync gives it its Stripe prices.')
      .waitFor();
    await page.getByTestId('plan-prepaid-team-v1').getByRole('cell', { name: 'yes', exact: true }).waitFor();
    expect((await api.request('GET', '/api/v1/subscriptions/plans/prepaid-team')).body).toMatchObject({
      prepaid_only: true,
      overage_price_per_1k_cents: 0,
    });
    await page.getByRole('button', { name: 'Edit prepaid-team' }).click();
    const edit = page.getByRole('form', { name: 'Edit prepaid-team' });
    expect(await edit.getByRole('checkbox', { name: 'Prepaid only' }).isChecked()).toBe(true);
    await screenshot(page, 'admin-plans-prepaid');
    await expectAccessible(page, 'admin plans, prepaid-only');
    await edit.getByRole('button', { name: 'Back' }).click();
    await page.getByRole('button', { name: 'Archive starter' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Archive' }).click();
    await page.getByText('starter is archived.').waitFor();
    // The list reloads after the answer: the version's status cell turns to archived.
    await page.getByTestId('plan-starter-v1').getByRole('cell', { name: 'archived', exact: true }).waitFor();
    await page.context().close();
  }, 60_000);

  it('shows usage per day by type, the heaviest users today and the rollup backlog', async () => {
    const ada = await api.request('POST', '/api/v1/auth/dev-token', {
      body: { email: 'ada-pro@example.com', role: 'viewer' },
    });
    const reported = await api.request('POST', '/api/v1/billing/report_usage', {
      token: ada.body.access_token,
      body: {
        events: [
          { id: 'console-usage-1', type: 'inference', quantity: 5 },
          { id: 'console-usage-2', type: 'embedding', quantity: 2 },
        ],
      },
    });
    expect(reported.body).toMatchObject({ accepted: 2 });
    // More than professional's 10,000 calls a day in one event: refused, and counted as a quota denial.
    const refused = await api.request('POST', '/api/v1/billing/report_usage', {
      token: ada.body.access_token,
      body: { id: 'console-usage-3', type: 'inference', quantity: 20_000 },
    });
    expect(refused.status).toBe(429);
    const page = await signedIn('boss@example.com', 'admin');
    await page.getByRole('navigation').getByRole('link', { name: 'Usage' }).click();
    await page.getByRole('heading', { level: 1, name: 'Usage' }).waitFor();
    // Ada's 7 units today beside grace's 42 of the book (40 yesterday, 2 today), none rolled up yet.
    expect(await page.getByTestId('usage-total').textContent()).toBe('49');
    expect(await page.getByTestId('usage-backlog').textContent()).toBe('4');
    expect(await page.getByTestId('quota-denials-total').textContent()).toBe('1');
    await page.getByRole('img', { name: 'Quota denials per day' }).waitFor();
    // The rollup's lag from the database; without Temporal here, the workflow's own account is missing.
    expect(await page.getByTestId('rollup-lag').textContent()).toMatch(
      /^\d+ (s|min|h)\b.*\(4 events waiting, the oldest from /,
    );
    await page
      .getByRole('region', { name: 'Rollup', exact: true })
      .getByRole('alert')
      .getByText(/^The usage-rollup workflow could not be asked: /)
      .waitFor();
    const top = page.getByRole('region', { name: 'Top customers today' });
    expect(await top.getByRole('row', { name: /ada-pro@example.com/ }).textContent()).toBe(
      'ada-pro@example.com7',
    );
    await page.getByText('Data table: Usage events per day by type').click();
    const today = new Date().toISOString().slice(0, 10);
    const rows = page.getByRole('region', { name: 'Usage events per day by type, figures' }).getByRole('row');
    expect(await rows.last().textContent()).toBe(`${today}5220`);
    // Thirty days, quiet ones as zero, under the header row.
    expect(await rows.count()).toBe(30 + 1);
    await screenshot(page, 'admin-usage');
    await expectAccessible(page, 'admin usage');
    await page.context().close();
  }, 60_000);

  it('shows a non-admin no console, and the API refuses them on a direct link', async () => {
    const page = await signedIn('viewer@example.com', 'viewer');
    const nav = page.getByRole('navigation');
    expect(await nav.getByRole('link', { name: 'Billing' }).count()).toBe(1);
    expect(await nav.getByRole('link', { name: 'Revenue' }).count()).toBe(0);
    expect(await nav.getByRole('link', { name: 'Customers' }).count()).toBe(0);
    await page.goto(`${api.url}/admin`);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('HTTP 403');
    await page.goto(`${api.url}/admin/customers`);
    await page
      .getByRole('alert')
      .getByText(/HTTP 403/)
      .waitFor();
    await page.context().close();
  }, 60_000);
});

describe("the operator's console acting on a live subscription", () => {
  let stack: FullStack;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  const email = 'olga-operated@example.com';

  beforeAll(async () => {
    const started = await Promise.allSettled([
      startFullStack({
        taskQueue: 'admin-console',
        apiEnv: () => ({
          OIDC_ISSUER: '',
          OIDC_JWKS_URL: '',
          DEV_SIGN_IN: 'true',
          TEMPORAL_UI_URL: 'http://temporal-ui.test:8233',
        }),
      }).then((s) => (stack = s)),
      launchChromium().then((c) => (chromium = c)),
    ]);
    for (const r of started) if (r.status === 'rejected') throw r.reason;
    // A professional subscriber who paid through Checkout, so a real workflow owns the subscription.
    const signIn = await stack.api.request('POST', '/api/v1/auth/dev-token', {
      body: { email, role: 'viewer' },
    });
    const token = signIn.body.access_token as string;
    const checkout = await stack.api.request('POST', '/api/v1/billing/checkout/create', {
      token,
      body: { tier_id: 'professional', billing_cycle: 'monthly' },
    });
    stack.emulator.completeCheckoutSession(checkout.body.session_id, { cardNumber: '4242424242424242' });
    await waitUntil(
      () => stack.api.request('GET', '/api/v1/billing/subscription', { token }),
      (r) => r.body?.status === 'active',
      'the subscription to be active',
      30_000,
      200,
    );
    // Two renewals of this morning's billing day, written into the mirror: one paid, one whose invoice
    // the mirror has not seen yet. (The Checkout subscription above is a sign-up, not a renewal.)
    const em = stack.db.orm.em.fork();
    const book = bookWriter(em);
    for (const paid of [true, false]) {
      const customer = book.customer();
      const sub = book.subscription(customer, {
        amountCents: 4900,
        status: 'active',
        createdAt: new Date(Date.now() - 45 * DAY),
      });
      sub.currentPeriodStart = new Date(Date.now() - 3 * 3_600_000);
      sub.currentPeriodEnd = new Date(sub.currentPeriodStart.getTime() + 30 * DAY);
      if (paid) {
        const invoice = book.invoice(customer, {
          amountCents: 4900,
          createdAt: sub.currentPeriodStart,
          subscription: sub,
        });
        invoice.billingReason = 'subscription_cycle';
        invoice.periodEnd = sub.currentPeriodStart;
      }
    }
    await em.flush();
  }, 120_000);

  afterAll(async () => {
    await chromium?.close();
    await stack?.stop();
  });

  it('changes the plan with its preview, pauses and unpauses, and the timeline and audit log show each step', async () => {
    const context = await chromium.browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    await page.goto(`${stack.api.url}/signin?next=${encodeURIComponent(`/admin/customer?email=${email}`)}`);
    await page.getByLabel('Email').fill('ops@example.com');
    await page.getByLabel('Role').selectOption('admin');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: email }).waitFor();
    const link = page.getByRole('link', { name: /in the Temporal UI/ });
    expect(await link.getAttribute('href')).toMatch(
      /^http:\/\/temporal-ui\.test:8233\/namespaces\/[^/]+\/workflows\/subscription-subs_/,
    );
    // Money back from the customer page: part of the Checkout invoice refunded, then the rest credited.
    const invoices = page.getByRole('region', { name: 'Invoices and charges' });
    await waitUntil(
      async () => {
        await page.reload();
        await page.getByRole('heading', { level: 2, name: 'Invoices and charges' }).waitFor();
        return invoices.getByRole('button', { name: /^Refund / }).count();
      },
      (n) => n > 0,
      "the Checkout invoice's charge to be mirrored",
      15_000,
      500,
    );
    await invoices
      .getByRole('button', { name: /^Refund / })
      .first()
      .click();
    const money = page.getByRole('alertdialog');
    await money.getByLabel(/Amount/).fill('10.00');
    await money.getByLabel(/Reason/).fill('goodwill after an outage');
    await screenshot(page, 'admin-customer-refund');
    await money.getByRole('button', { name: 'Confirm' }).click();
    await page
      .getByText(/^Refunded \$10\.00 on in_\w+ \(re_\w+\); \$10\.00 of \$49\.00 refunded in all\.$/)
      .waitFor();
    await invoices
      .getByRole('button', { name: /^Credit note on / })
      .first()
      .click();
    await page
      .getByRole('alertdialog')
      .getByText('Up to $39.00 is left to credit.', { exact: false })
      .waitFor();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Confirm' }).click();
    await page.getByText(/^Credit note \S+ for \$39\.00 on in_\w+; \$0\.00 left to credit\.$/).waitFor();
    const customerAudit = page.getByRole('region', { name: 'Audit entries about this customer' });
    await customerAudit.getByText('invoice.refund').waitFor();
    await customerAudit.getByText('invoice.credit_note').waitFor();

    const timeline = page.getByTestId('timeline').getByRole('listitem');
    const before = await timeline.count();

    await page.getByLabel('New plan').selectOption('enterprise');
    await page.getByRole('button', { name: 'Preview the change' }).click();
    const preview = page.getByTestId('admin-preview');
    await preview.getByText(/Moves to\s*enterprise\s*now/).waitFor();
    expect(await preview.textContent()).toContain('Then each period$99.00');
    await screenshot(page, 'admin-customer-preview');
    await preview.getByRole('button', { name: 'Change the plan' }).click();
    await page
      .getByRole('alertdialog')
      .getByLabel(/Reason/)
      .fill('asked by phone');
    await page.getByRole('alertdialog').getByRole('button', { name: 'Confirm' }).click();
    await page.getByText('Change the plan to enterprise: done.').waitFor();
    await page.getByTestId('admin-customer-tier').getByText('enterprise').waitFor();
    await waitUntil(
      () => timeline.allTextContents(),
      (items) => items.some((t) => t.includes('plan professional → enterprise')),
      'the timeline to show the upgrade',
      15_000,
      300,
    );
    expect(await timeline.count()).toBeGreaterThan(before);

    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Confirm' }).click();
    await page.getByText('Pause the subscription: done.').waitFor();
    await page.getByRole('button', { name: 'Unpause' }).waitFor();
    await page.getByRole('button', { name: 'Unpause' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Confirm' }).click();
    await page.getByText('Unpause the subscription: done.').waitFor();
    await screenshot(page, 'admin-customer-acted');
    expect({ violations: await seriousA11yViolations(page) }).toEqual({ violations: [] });

    await page.getByRole('navigation').getByRole('link', { name: 'Audit log' }).click();
    const entries = page.getByRole('region', { name: 'Audit entries' });
    await entries.getByText('subscription.change_plan').waitFor();
    await entries.getByText('subscription.pause').waitFor();
    await entries.getByText('subscription.unpause').waitFor();
    expect(await entries.getByRole('row', { name: /subscription.change_plan/ }).textContent()).toContain(
      'ops@example.com',
    );
    await screenshot(page, 'admin-audit');

    // Operations: Stripe's events from the checkout, each handed to the subscription's workflow.
    await page.getByRole('navigation').getByRole('link', { name: 'Operations' }).click();
    const events = page.getByRole('region', { name: 'Stripe events' });
    await waitUntil(
      async () => {
        await page.reload();
        return page.getByTestId('unforwarded').textContent();
      },
      (t) => t === 'Every event received has reached its workflow.',
      'every Stripe event to be forwarded',
      15_000,
      500,
    );
    // The refunds and the plan change brought newer events; the checkout's is found by its type.
    await page.getByLabel('Event type').fill('checkout.session.completed');
    await page
      .getByRole('search', { name: 'Stripe events by type' })
      .getByRole('button', { name: 'Filter' })
      .click();
    await events.getByRole('cell', { name: 'checkout.session.completed', exact: true }).waitFor();
    expect(
      await events
        .getByRole('row', { name: /checkout\.session\.completed/ })
        .first()
        .textContent(),
    ).toMatch(/subs_/);
    await page.getByText('No payment is being retried.').waitFor();
    // The billing day at the top: the two renewals, one of them paid, and Stripe's events all forwarded.
    // Events of the steps above may still be arriving from Stripe (the filter's page read four received
    // that instant), so the card is read again until every one is in.
    const renewals = page.getByRole('region', { name: 'Renewals' });
    await waitUntil(
      async () => {
        await page.reload();
        return renewals.getByTestId('intake').textContent();
      },
      (t) => t === 'Stripe events: every one received has reached its workflow.',
      "the Renewals card's Stripe events all forwarded",
      15_000,
      500,
    );
    const progress = renewals.getByRole('progressbar', { name: '1 of 2 paid or failed (50 %)' });
    expect(await progress.getAttribute('value')).toBe('1');
    expect(await progress.getAttribute('max')).toBe('2');
    const figure = (key: string) => renewals.getByTestId(`renewals-${key}`).textContent();
    expect(
      Object.fromEntries(
        await Promise.all(
          ['due', 'invoiced', 'paid', 'failed', 'waiting'].map(async (k) => [k, await figure(k)]),
        ),
      ),
    ).toEqual({ due: '2', invoiced: '1', paid: '1', failed: '0', waiting: '1' });
    expect(await renewals.getByTestId('intake').textContent()).toBe(
      'Stripe events: every one received has reached its workflow.',
    );
    // Asked of Temporal itself: no dunning run is in flight for this book.
    await page.getByText('No dunning run is in flight.').waitFor();
    expect({ violations: await seriousA11yViolations(page) }).toEqual({ violations: [] });
    await screenshot(page, 'admin-operations');

    // Usage: the rollup workflow's own account of itself, through its status query, once the worker's
    // loop has run a cycle.
    await ensureUsageRollup(stack.env.client, 'admin-console', { intervalSeconds: 30 });
    await page.getByRole('navigation').getByRole('link', { name: 'Usage' }).click();
    const loop = page.getByTestId('rollup-workflow');
    await waitUntil(
      async () => {
        await page.reload();
        await page.getByRole('heading', { level: 2, name: 'Rollup' }).waitFor();
        return page.getByTestId('rollup-status').textContent();
      },
      (t) => /Last cycle(?!Not finished)/.test(t ?? ''),
      "the rollup loop's first cycle",
      15_000,
      500,
    );
    expect(await loop.textContent()).toMatch(
      /^RUNNING, this run since .+; \d+ cycles, \d+ events in \d+ rollups$/,
    );
    expect(await page.getByTestId('rollup-failures').textContent()).toBe('None');
    await screenshot(page, 'admin-usage-rollup');
    await context.close();
  }, 120_000);
});
