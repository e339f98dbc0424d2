import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { webAppBuilt } from '../../api/pages/web-app';
import { startFullStack, type FullStack } from '../helpers/full-stack';
import { launchChromium, screenshot, seriousA11yViolations } from './browser';

/**
 * The customer web app in real Chromium against the whole engine: Temporal dev server, worker, Stripe
 * emulator with its hosted Checkout, API serving the built app, and the development sign-in.
 */
describe('the customer web app in a browser', () => {
  let stack: FullStack;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let context: BrowserContext;
  let page: Page;
  let base: string;
  let varDir: string;
  const policyViolations: string[] = [];
  const email = 'new-person@example.com';

  beforeAll(async () => {
    if (!webAppBuilt())
      throw new Error('web/dist is missing: `node tools/web.js` builds it (npm test runs it)');
    varDir = mkdtempSync(join(tmpdir(), 'web-app-var-'));
    // Both start at once; each is kept as soon as it is up, so afterAll stops whatever did start.
    const started = await Promise.allSettled([
      startFullStack({
        taskQueue: 'web-app',
        // No identity provider: the engine signs tokens with its local key and offers the development sign-in.
        apiEnv: () => ({ OIDC_ISSUER: '', OIDC_JWKS_URL: '', VAR_DIR: varDir, DEV_SIGN_IN: 'true' }),
      }).then((s) => (stack = s)),
      launchChromium().then((c) => (chromium = c)),
    ]);
    for (const r of started) if (r.status === 'rejected') throw r.reason;
    base = stack.api.url;
    context = await chromium.browser.newContext({
      viewport: { width: 1280, height: 900 },
      acceptDownloads: true,
    });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('console', (m) => {
      if (/Content.Security.Policy/i.test(m.text())) policyViolations.push(m.text());
    });
  }, 120_000);

  afterAll(async () => {
    await chromium?.close();
    await stack?.stop();
    if (varDir) rmSync(varDir, { recursive: true, force: true });
  });

  // Expressions evaluated in the page (this suite is type-checked without the DOM's types).
  const token = () =>
    page.evaluate<string>(`JSON.parse(sessionStorage.getItem('billing.dev-session')).token`);

  async function expectAccessible(name: string) {
    expect({ page: name, violations: await seriousA11yViolations(page) }).toEqual({
      page: name,
      violations: [],
    });
  }

  it('shows the plans with the yearly saving and the $1 trial', async () => {
    await page.goto(`${base}/plans`);
    await page.getByRole('heading', { name: 'Professional' }).waitFor();
    await expect(page.getByText('$1.00').first().isVisible()).resolves.toBe(true);
    await page.getByRole('radio', { name: /Yearly/ }).check();
    await page
      .getByText(/Save 17% against \$588\.00 paid monthly/)
      .first()
      .waitFor();
    await screenshot(page, 'plans');
    await expectAccessible('plans');
    await page.getByRole('radio', { name: /Monthly/ }).check();
  });

  it('signs a new person in, takes them through Checkout, where a declined card is refused, to an active plan', async () => {
    await page.getByRole('link', { name: 'Choose Professional' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByText('Development sign-in.').waitFor();
    await expectAccessible('sign-in');
    await page.getByLabel('Email').fill(email);
    await page.getByRole('button', { name: 'Sign in' }).click();

    await page.getByRole('heading', { name: 'Subscribe' }).waitFor();
    await expect(page.getByLabel('Plan').inputValue()).resolves.toBe('professional');
    await page.getByText(/You pay \$49\.00 today for Professional/).waitFor();
    await screenshot(page, 'signup');
    await expectAccessible('signup');
    await page.getByRole('button', { name: 'Continue to payment' }).click();

    // Stripe's hosted Checkout (the emulator's): a declined card first, then one that pays.
    await page.waitForURL((u) => u.href.startsWith(stack.emulator.url));
    await page.getByLabel('Card number').fill('4000 0000 0000 0002');
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await page.getByText(/Your card was declined/).waitFor();
    await page.getByLabel('Card number').fill('4242 4242 4242 4242');
    await page.getByRole('button', { name: 'Subscribe' }).click();

    await page.waitForURL((u) => u.pathname === '/billing/success');
    await page.getByText(/Your professional plan is active/).waitFor({ timeout: 30_000 });
    await screenshot(page, 'checkout-success');
    await expectAccessible('checkout success');
    await page.getByRole('link', { name: 'Go to your billing dashboard' }).click();
    await page.getByTestId('status').filter({ hasText: 'Active' }).waitFor();
    await page.getByText(/0 of 500 included credits used/).waitFor();
  }, 90_000);

  it('shows usage reported through the API in the meter and the daily chart', async () => {
    const res = await stack.api.request('POST', '/api/v1/billing/report_usage', {
      token: await token(),
      body: {
        events: [
          { id: 'web-1', type: 'inference', quantity: 300 },
          { id: 'web-2', type: 'embedding', quantity: 120 },
        ],
      },
    });
    expect(res.body).toMatchObject({ accepted: 2 });
    await page.reload();
    await page.getByText(/420 of 500 included credits used/).waitFor();
    // Time to interactive of the dashboard: from navigation start until its figures are on screen.
    const interactiveMs = await page.evaluate<number>('Math.round(performance.now())');
    console.log(`dashboard interactive ${interactiveMs} ms after navigation start`);
    await page.locator('.chart canvas').first().waitFor();
    await page.getByRole('img', { name: /API usage per day/ }).waitFor();
    await screenshot(page, 'dashboard');
    await expectAccessible('dashboard');
  });

  it('previews an upgrade, then shows the new plan', async () => {
    await page.getByRole('link', { name: 'Change plan' }).click();
    await page.getByRole('heading', { name: 'Change plan' }).waitFor();
    await page.getByRole('radio', { name: /Enterprise/ }).check();
    const preview = page.getByTestId('preview');
    await preview.getByText('Due now').waitFor();
    await expect(preview.getByText('Credit for unused time').isVisible()).resolves.toBe(true);
    await screenshot(page, 'change-plan');
    await expectAccessible('change plan');
    await preview.getByRole('button', { name: 'Confirm and pay' }).click();
    await page.getByText('You are now on enterprise.').waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Back to billing' }).click();
    await page.locator('.plan-name').getByText('Enterprise').waitFor();
    // The plans page marks the plan the customer is on, and offers a switch to the others.
    await page.getByRole('navigation').getByRole('link', { name: 'Plans' }).click();
    await page.getByRole('heading', { name: /Enterprise\s*Your plan/ }).waitFor();
    await page.getByRole('link', { name: 'Switch to Professional' }).waitFor();
  }, 60_000);

  it('schedules a downgrade for the period end, shows it on the dashboard, and withdraws it', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Billing' }).click();
    await page.getByRole('link', { name: 'Change plan' }).click();
    await page.getByRole('heading', { name: 'Change plan' }).waitFor();
    await page.getByRole('radio', { name: /Starter/ }).check();
    const preview = page.getByTestId('preview');
    await preview.getByText(/At the period end/).waitFor();
    await preview.getByRole('button', { name: 'Schedule the change' }).click();
    await page.getByText(/Your plan changes to starter on/).waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Back to billing' }).click();
    const keep = page.getByRole('button', { name: 'Keep Enterprise instead' });
    await keep.waitFor();
    await expect(page.getByText(/Changes to\s*starter/).isVisible()).resolves.toBe(true);
    await screenshot(page, 'dashboard-scheduled-change');
    await expectAccessible('dashboard with a scheduled change');
    await keep.click();
    await page.getByText(/Changes to\s*starter/).waitFor({ state: 'detached' });
    const sub = await stack.api.request('GET', '/api/v1/billing/subscription', { token: await token() });
    expect(sub.body).toMatchObject({ tier: 'enterprise', pending_change: null });
  }, 60_000);

  it('lists the invoices and downloads one as a PDF', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Invoices' }).click();
    await page.getByRole('heading', { name: 'Invoices' }).waitFor();
    await page.getByRole('cell').filter({ hasText: '$49.00' }).first().waitFor();
    // The next invoice as Stripe would issue it, line by line, above the list.
    const upcoming = page.getByRole('region', { name: /Upcoming invoice/ });
    await upcoming.getByRole('rowheader', { name: /Plan/ }).waitFor({ timeout: 30_000 });
    await upcoming.getByTestId('upcoming-totals').getByText('Due').waitFor();
    await screenshot(page, 'invoices');
    await expectAccessible('invoices');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page
        .getByRole('button', { name: /Download PDF of invoice/ })
        .last()
        .click(),
    ]);
    const file = await download.path();
    expect(readFileSync(file).subarray(0, 5).toString()).toBe('%PDF-');
  });

  it('cancels at the period end, showing the end date, and resumes', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Billing' }).click();
    await page.getByRole('link', { name: 'Cancel plan' }).click();
    await page.getByRole('heading', { name: 'Cancel plan' }).waitFor();
    await expectAccessible('cancel');
    await page.getByRole('button', { name: 'Cancel at period end' }).click();
    const notice = page.getByTestId('cancel-notice');
    await notice.waitFor();
    const sub = await stack.api.request('GET', '/api/v1/billing/subscription', { token: await token() });
    const end = await page.evaluate<string>(
      `new Intl.DateTimeFormat(navigator.languages[0], { dateStyle: 'medium' }).format(new Date(${JSON.stringify(sub.body.current_period_end)}))`,
    );
    await expect(notice.textContent()).resolves.toContain(`Your plan ends on ${end}`);
    await screenshot(page, 'cancel-pending');
    await page.getByRole('button', { name: 'Resume my plan' }).click();
    await notice.waitFor({ state: 'detached' });
    await page.getByRole('link', { name: 'Cancel plan' }).waitFor();
  }, 60_000);

  it('pauses the plan instead of canceling it, then unpauses it', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Billing' }).click();
    await page.getByRole('link', { name: 'Cancel plan' }).click();
    await page.getByRole('heading', { name: 'Rather take a break?' }).waitFor();
    await page.getByRole('button', { name: 'Pause my plan' }).click();
    const notice = page.getByTestId('paused-notice');
    await notice.waitFor();
    await expect(page.getByTestId('status').textContent()).resolves.toBe('Paused');
    await screenshot(page, 'dashboard-paused');
    await expectAccessible('dashboard, paused');
    await page.getByRole('button', { name: 'Unpause my plan' }).click();
    await notice.waitFor({ state: 'detached' });
    await expect(page.getByTestId('status').textContent()).resolves.toBe('Active');
  }, 60_000);

  it('shows the card on file and the provider keys', async () => {
    await page.getByRole('link', { name: 'Payment methods' }).click();
    await page.getByText(/VISA •••• 4242/).waitFor();
    await expect(page.getByText('Default', { exact: true }).isVisible()).resolves.toBe(true);
    await expectAccessible('payment methods');

    await page.getByRole('link', { name: 'Provider keys' }).click();
    await page.getByRole('heading', { name: 'Add a key' }).waitFor();
    await page.getByText('No keys yet.').waitFor();
    await page.getByLabel('API key').fill(`sk-proj-${'a'.repeat(48)}`);
    await page.getByRole('button', { name: 'Save key' }).click();
    await page.getByRole('heading', { name: 'OpenAI' }).waitFor();
    await screenshot(page, 'provider-keys');
    await expectAccessible('provider keys');
  });

  it("shows the API's error code and message when a call fails", async () => {
    await page.route('**/api/v1/billing/invoices*', (route) =>
      route.fulfill({
        status: 503,
        contentType: 'application/json',
        body: JSON.stringify({
          error: { code: 'temporal_unavailable', message: 'Temporal cannot be reached' },
        }),
      }),
    );
    await page.getByRole('navigation').getByRole('link', { name: 'Invoices' }).click();
    const alert = page.getByRole('alert');
    await alert.getByText('Temporal cannot be reached').waitFor();
    await expect(alert.textContent()).resolves.toContain('temporal_unavailable');
    await page.unroute('**/api/v1/billing/invoices*');
    await alert.getByRole('button', { name: 'Try again' }).click();
    await page
      .getByRole('button', { name: /Download PDF of invoice/ })
      .first()
      .waitFor();
  });

  it('warns of a failed payment with a link to pay the invoice', async () => {
    // The failed renewal itself is covered end to end in test/e2e; here the API's answers are made to say
    // so, to see what the customer is shown.
    const hosted = `${stack.emulator.url}/invoice/in_failed_renewal`;
    await page.route('**/api/v1/billing/subscription', async (route) => {
      const real = await route.fetch();
      await route.fulfill({ response: real, json: { ...(await real.json()), status: 'past_due' } });
    });
    await page.route('**/api/v1/billing/invoices?*', async (route) => {
      const real = await route.fetch();
      const [latest] = (await real.json()) as Record<string, unknown>[];
      const failed = {
        ...latest,
        id: 'in_failed_renewal',
        number: 'FAILED-0003',
        status: 'open',
        paid: false,
      };
      await route.fulfill({
        response: real,
        json: [{ ...failed, amount_due_cents: 9900, amount_paid_cents: 0, hosted_invoice_url: hosted }],
      });
    });
    try {
      await page.getByRole('navigation').getByRole('link', { name: 'Billing' }).click();
      const banner = page.getByRole('alert').filter({ hasText: 'Your last payment failed.' });
      await banner.getByText(/Invoice FAILED-0003 for \$99\.00 is unpaid/).waitFor();
      await expect(banner.getByRole('link', { name: 'Pay the invoice' }).getAttribute('href')).resolves.toBe(
        hosted,
      );
      await expect(page.getByTestId('status').textContent()).resolves.toBe('Payment failed');
      await screenshot(page, 'dashboard-past-due');
      await expectAccessible('dashboard, payment failed');
    } finally {
      await page.unrouteAll({ behavior: 'wait' });
    }
  });

  it('fits a phone screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('navigation').getByRole('link', { name: 'Billing' }).click();
    await page.getByTestId('status').waitFor();
    await page.locator('.chart canvas').first().waitFor();
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(page, 'dashboard-phone');
    await expectAccessible('dashboard at phone width');
    // Every other page too: nothing wider than the screen (wide tables scroll inside their own box).
    for (const [path, heading] of [
      ['/plans', 'Plans'],
      ['/billing/change-plan', 'Change plan'],
      ['/billing/cancel', 'Cancel plan'],
      ['/billing/invoices', 'Invoices'],
      ['/billing/payment-methods', 'Payment methods'],
      ['/billing/keys', 'Provider keys'],
    ] as const) {
      await page.goto(`${base}${path}`);
      await page.getByRole('heading', { level: 1, name: heading }).waitFor();
      await page.locator('.loading').first().waitFor({ state: 'detached' });
      await screenshot(page, `phone${path.replace(/\//g, '-')}`);
      const wider = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
      expect({ path, wider: Math.max(0, wider) }).toEqual({ path, wider: 0 });
    }
    await screenshot(page, 'provider-keys-phone');
  });

  it('takes another person through the $1 trial, back from a canceled Checkout with the choice kept', async () => {
    const other = await chromium.browser.newContext({ viewport: { width: 1280, height: 900 } });
    const trial = await other.newPage();
    trial.setDefaultTimeout(15_000);
    try {
      await trial.goto(`${base}/signin?next=${encodeURIComponent('/plans')}`);
      await trial.getByLabel('Email').fill('trial-person@example.com');
      await trial.getByRole('button', { name: 'Sign in' }).click();
      await trial.getByRole('link', { name: 'Start the $1.00 trial' }).click();
      await trial.getByRole('heading', { name: 'Subscribe' }).waitFor();
      await trial
        .getByText(/You pay \$1\.00 today for a 7-day trial\. Then Professional starts at \$49\.00/)
        .waitFor();
      await trial.getByRole('button', { name: 'Continue to payment' }).click();

      await trial.waitForURL((u) => u.href.startsWith(stack.emulator.url));
      await trial.getByRole('link', { name: 'Cancel' }).click();
      await trial.getByRole('heading', { name: 'Checkout canceled' }).waitFor();
      await trial.getByText('Nothing was charged.', { exact: false }).waitFor();
      await trial.getByRole('heading', { name: /Professional.*Your choice/ }).waitFor();
      await screenshot(trial, 'checkout-canceled');
      expect({ page: 'checkout canceled', violations: await seriousA11yViolations(trial) }).toEqual({
        page: 'checkout canceled',
        violations: [],
      });
      await trial.getByRole('link', { name: /Try again with professional/ }).click();
      await trial.getByText(/You pay \$1\.00 today for a 7-day trial/).waitFor();
      await trial.getByRole('button', { name: 'Continue to payment' }).click();

      await trial.waitForURL((u) => u.href.startsWith(stack.emulator.url));
      await trial.getByText(/1\.00 USD/).waitFor();
      await trial.getByRole('button', { name: 'Subscribe' }).click();
      await trial.getByText(/Your trial has started/).waitFor({ timeout: 30_000 });
      await trial.getByRole('link', { name: 'Go to your billing dashboard' }).click();
      await trial.getByTestId('status').filter({ hasText: 'Trial' }).waitFor();
      await trial.getByText(/7 days left/).waitFor();
      await screenshot(trial, 'dashboard-trial');
      // During the trial, changing plan picks the plan it continues into.
      await trial.getByRole('link', { name: 'Change plan' }).click();
      await trial.getByRole('radio', { name: /Starter/ }).check();
      await trial.getByRole('button', { name: 'Continue with this plan' }).click();
      await trial.getByText(/Your trial continues on starter at \$19\.00 \/ month/).waitFor();
      await trial.getByRole('link', { name: 'Back to billing' }).click();
      await trial.getByText(/Changes to starter/).waitFor();
      await trial.getByRole('navigation').getByRole('link', { name: 'Invoices' }).click();
      await trial.getByRole('cell').filter({ hasText: '$1.00' }).first().waitFor();
    } finally {
      await other.close();
    }
  }, 60_000);

  it('loaded nothing the Content-Security-Policy refused', () => {
    expect(policyViolations).toEqual([]);
  });
});
