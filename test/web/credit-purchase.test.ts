import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { webAppBuilt } from '../../api/pages/web-app';
import { CreditPack } from '../../db/entities';
import { newId } from '../../db/ids';
import { startFullStack, type FullStack } from '../helpers/full-stack';
import { launchChromium, screenshot, seriousA11yViolations } from './browser';

/**
 * Buying credits in real Chromium against the whole engine: the customer subscribes, buys a pack on the
 * emulator's Checkout page, comes back to the Credits page where the credits appear once the webhook
 * granted them, and turns automatic top-up on.
 */
describe('buying credits in the customer web app', () => {
  let stack: FullStack;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  let base: string;
  let varDir: string;
  const email = 'credit-buyer@example.com';

  beforeAll(async () => {
    if (!webAppBuilt())
      throw new Error('web/dist is missing: `node tools/web.js` builds it (npm test runs it)');
    varDir = mkdtempSync(join(tmpdir(), 'web-credits-var-'));
    const started = await Promise.allSettled([
      startFullStack({
        taskQueue: 'web-credit-purchase',
        apiEnv: () => ({ OIDC_ISSUER: '', OIDC_JWKS_URL: '', VAR_DIR: varDir, DEV_SIGN_IN: 'true' }),
      }).then((s) => (stack = s)),
      launchChromium().then((c) => (chromium = c)),
    ]);
    for (const r of started) if (r.status === 'rejected') throw r.reason;
    base = stack.api.url;
    const em = stack.db.orm.em.fork();
    for (const [code, credits, priceCents] of [
      ['web-small', 1000, 1900],
      ['web-large', 5000, 8500],
    ] as const) {
      em.create(CreditPack, {
        id: newId('pack'),
        code,
        name: `${credits.toLocaleString('en-US')} credits`,
        credits,
        priceCents,
        currency: 'usd',
        planCodes: [],
        expiresAfterDays: 365,
        active: true,
        createdAt: new Date(),
        updatedAt: new Date(),
      });
    }
    await em.flush();
    const context = await chromium.browser.newContext({
      viewport: { width: 1280, height: 1000 },
      locale: 'en-US',
      timezoneId: 'UTC',
    });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
  }, 120_000);

  afterAll(async () => {
    await chromium?.close();
    await stack?.stop();
    if (varDir) rmSync(varDir, { recursive: true, force: true });
  });

  it('buys a pack through Checkout and shows the credits once Stripe confirmed the payment', async () => {
    await page.goto(`${base}/signin?next=${encodeURIComponent('/plans')}`);
    await page.getByLabel('Email').fill(email);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Choose Starter' }).click();
    await page.getByRole('button', { name: 'Continue to payment' }).click();
    await page.waitForURL((u) => u.href.startsWith(stack.emulator.url));
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await page.waitForURL((u) => u.pathname === '/billing/success');
    await page.getByText(/Your starter plan is active/).waitFor({ timeout: 30_000 });

    await page.getByRole('link', { name: 'Credits' }).click();
    const packs = page.getByRole('region', { name: 'Credit packs' });
    await packs.getByRole('row', { name: /1,000 credits/ }).waitFor();
    await expect(packs.getByRole('row').allInnerTexts()).resolves.toEqual([
      expect.stringMatching(/Pack\s+Credits\s+Price\s+Credits last/),
      expect.stringMatching(/1,000 credits\s+1,000\s+\$19\.00\s+365 days\s+Buy 1,000 credits/),
      expect.stringMatching(/5,000 credits\s+5,000\s+\$85\.00\s+365 days\s+Buy 5,000 credits/),
    ]);
    await page.getByRole('button', { name: 'Buy 1,000 credits' }).click();

    await page.waitForURL((u) => u.href.startsWith(stack.emulator.url));
    await page.getByText('Pay 19.00 USD').waitFor();
    await screenshot(page, 'checkout-credit-pack');
    await page.getByRole('button', { name: 'Pay' }).click();

    await page.waitForURL((u) => u.href.startsWith(base) && u.pathname === '/billing/credits');
    await page
      .getByText('Payment received: your credits appear here as soon as Stripe confirms it.')
      .waitFor();
    // The page looks again a moment later, when the webhook has granted them.
    await page.getByTestId('credit-balance').getByText('1,000').waitFor({ timeout: 30_000 });
    const grants = page.getByRole('region', { name: 'Credit grants' });
    await grants.getByRole('row', { name: /Bought\s+1,000\s+1,000/ }).waitFor();
    expect(new URL(page.url()).search).toBe('');
    await screenshot(page, 'credits-bought');
    expect(await seriousA11yViolations(page)).toEqual([]);
  }, 120_000);

  it('turns automatic top-up on with the card on file, and explains what it refuses', async () => {
    const form = page.getByRole('form', { name: 'Automatic top-up' });
    await form.getByLabel('Top up automatically with the card on file').check();
    await form.getByLabel('When my balance falls below (credits)').fill('500');
    await form.getByRole('button', { name: 'Save automatic top-up' }).click();
    await form.getByText(/pack_id: the pack to buy is required/).waitFor();

    await form.getByLabel('Buy').selectOption({ label: '5,000 credits: 5,000 credits for $85.00' });
    await form.getByRole('button', { name: 'Save automatic top-up' }).click();
    await form.getByText('Automatic top-up saved.').waitFor();
    await screenshot(page, 'credits-auto-top-up');
    const saved = await stack.api.request('GET', '/api/v1/billing/credits', {
      token: await devToken(),
    });
    expect(saved.body.auto_top_up).toMatchObject({ enabled: true, threshold: 500, note: null });
    // 1,000 credits are above 500: nothing is charged yet.
    const customer = (await stack.stripe.customers.list({ email, limit: 1 })).data[0]!;
    const intents = await stack.stripe.paymentIntents.list({ customer: customer.id });
    expect(intents.data.filter((p) => p.metadata?.kind === 'credit_top_up')).toEqual([]);
  }, 60_000);

  /** The customer's token from the development sign-in, as the page holds it. */
  async function devToken(): Promise<string> {
    const signIn = await stack.api.request('POST', '/api/v1/auth/dev-token', {
      body: { email, role: 'viewer' },
    });
    return signIn.body.access_token as string;
  }
});
