import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Stripe from 'stripe';
import type { Page } from 'playwright-core';
import { webAppBuilt } from '../../api/pages/web-app';
import { startFullStack, type FullStack } from '../helpers/full-stack';
import { launchChromium, screenshot, seriousA11yViolations } from './browser';

/**
 * 3-D Secure at Checkout and the customer's own cards, in real Chromium against the whole engine: a card
 * that asks for authentication fails it, then passes it; a second card is added through Checkout in setup
 * mode, made the one that pays, and the first removed.
 */
describe('cards in the customer web app', () => {
  let stack: FullStack;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  let base: string;
  let varDir: string;
  const email = 'card-holder@example.com';

  beforeAll(async () => {
    if (!webAppBuilt())
      throw new Error('web/dist is missing: `node tools/web.js` builds it (npm test runs it)');
    varDir = mkdtempSync(join(tmpdir(), 'web-cards-var-'));
    const started = await Promise.allSettled([
      startFullStack({
        taskQueue: 'web-payment-methods',
        apiEnv: () => ({ OIDC_ISSUER: '', OIDC_JWKS_URL: '', VAR_DIR: varDir, DEV_SIGN_IN: 'true' }),
      }).then((s) => (stack = s)),
      launchChromium().then((c) => (chromium = c)),
    ]);
    for (const r of started) if (r.status === 'rejected') throw r.reason;
    base = stack.api.url;
    const context = await chromium.browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
  }, 120_000);

  afterAll(async () => {
    await chromium?.close();
    await stack?.stop();
    if (varDir) rmSync(varDir, { recursive: true, force: true });
  });

  async function expectAccessible(name: string) {
    expect({ page: name, violations: await seriousA11yViolations(page) }).toEqual({
      page: name,
      violations: [],
    });
  }

  async function stripeCustomer(): Promise<Stripe.Customer> {
    const found = await stack.stripe.customers.list({ email, limit: 1 });
    return found.data[0]!;
  }

  const card = (name: RegExp) => page.getByRole('listitem', { name });

  it('asks for 3-D Secure at Checkout, explains a failed authentication, and pays once it is completed', async () => {
    await page.goto(`${base}/signin?next=${encodeURIComponent('/plans')}`);
    await page.getByLabel('Email').fill(email);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Choose Professional' }).click();
    await page.getByRole('heading', { name: 'Subscribe' }).waitFor();
    await page.getByRole('button', { name: 'Continue to payment' }).click();

    await page.waitForURL((u) => u.href.startsWith(stack.emulator.url));
    await page.getByLabel('Card number').fill('4000 0025 0000 3155');
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await page.getByRole('heading', { name: '3-D Secure authentication' }).waitFor();
    await page
      .getByText('Your bank asks you to confirm a payment of 49.00 USD with the card ending 3155.')
      .waitFor();
    await screenshot(page, 'checkout-3ds-challenge');
    await page.getByRole('button', { name: 'Fail authentication' }).click();

    await page
      .getByRole('alert')
      .filter({ hasText: 'We are unable to authenticate your payment method.' })
      .waitFor();
    await screenshot(page, 'checkout-3ds-failed');
    // Nothing was charged or started: the session waits for another try.
    expect((await stack.stripe.subscriptions.list({ customer: (await stripeCustomer()).id })).data).toEqual(
      [],
    );

    await page.getByLabel('Card number').fill('4000 0025 0000 3155');
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await page.getByRole('button', { name: 'Complete authentication' }).click();
    await page.waitForURL((u) => u.pathname === '/billing/success');
    await page.getByText(/Your professional plan is active/).waitFor({ timeout: 30_000 });
  }, 90_000);

  it('adds a card through Checkout in setup mode, makes it the default and removes the other', async () => {
    await page.getByRole('link', { name: 'Payment methods' }).click();
    const visa = card(/VISA •••• 3155/);
    await visa.getByText('Default', { exact: true }).waitFor();
    await expectAccessible('payment methods, one card');

    await page.getByRole('button', { name: 'Add a card' }).click();
    await page.waitForURL((u) => u.href.startsWith(stack.emulator.url));
    await page.getByText('Save a card for future payments. Nothing is charged now.').waitFor();
    await screenshot(page, 'checkout-setup');
    await page.getByLabel('Card number').fill('5555 5555 5555 4444');
    await page.getByLabel('Name on card').fill('Card Holder');
    await page.getByRole('button', { name: 'Save card' }).click();

    await page.waitForURL((u) => u.href.startsWith(base) && u.pathname === '/billing/payment-methods');
    await page.getByText('MASTERCARD •••• 4444 was added.').waitFor({ timeout: 30_000 });
    // The address Checkout returned to is replaced, so a reload does not announce the card again.
    expect(new URL(page.url()).search).toBe('');
    const mastercard = card(/MASTERCARD •••• 4444/);
    await expect(mastercard.getByText('Default', { exact: true }).count()).resolves.toBe(0);
    await screenshot(page, 'payment-methods-added');
    await expectAccessible('payment methods, card added');

    await mastercard.getByRole('button', { name: 'Make default' }).click();
    await page.getByText('MASTERCARD •••• 4444 now pays your invoices.').waitFor();
    await mastercard.getByText('Default', { exact: true }).waitFor();
    await expect(visa.getByText('Default', { exact: true }).count()).resolves.toBe(0);
    // The card that pays is not offered for removal while another is on file.
    await mastercard.getByText('Make another card the default to remove this one.').waitFor();
    await expect(mastercard.getByRole('button', { name: 'Remove', exact: true }).count()).resolves.toBe(0);
    const customer = await stripeCustomer();
    const [sub] = (await stack.stripe.subscriptions.list({ customer: customer.id })).data;
    const mastercardId = (await stack.stripe.paymentMethods.list({ customer: customer.id })).data.find(
      (pm) => pm.card?.last4 === '4444',
    )!.id;
    expect(customer.invoice_settings.default_payment_method).toBe(mastercardId);
    expect(sub?.default_payment_method).toBe(mastercardId);

    await visa.getByRole('button', { name: 'Remove', exact: true }).click();
    await visa.getByRole('button', { name: 'Keep it' }).click();
    await visa.getByRole('button', { name: 'Remove', exact: true }).click();
    await screenshot(page, 'payment-methods-confirm-remove');
    await visa.getByRole('button', { name: 'Remove VISA •••• 3155' }).click();
    await page.getByText('VISA •••• 3155 was removed.').waitFor();
    await visa.waitFor({ state: 'detached' });
    const left = await stack.stripe.paymentMethods.list({ customer: customer.id });
    expect(left.data.map((pm) => pm.card?.last4)).toEqual(['4444']);
    await screenshot(page, 'payment-methods');
    await expectAccessible('payment methods, after removing a card');
  }, 90_000);

  it('shows why the last card of a live plan cannot go, at phone width', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    const mastercard = card(/MASTERCARD •••• 4444/);
    await mastercard.getByRole('button', { name: 'Remove', exact: true }).click();
    await mastercard.getByRole('button', { name: 'Remove MASTERCARD •••• 4444' }).click();
    const refusal = mastercard.getByRole('alert');
    await refusal.getByText(/only card paying your professional plan/).waitFor();
    await refusal.getByText('last_payment_method').waitFor();
    const wider = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(Math.max(0, wider)).toBe(0);
    await screenshot(page, 'payment-methods-phone');
    await expectAccessible('payment methods at phone width, removal refused');
    expect(
      (await stack.stripe.paymentMethods.list({ customer: (await stripeCustomer()).id })).data,
    ).toHaveLength(1);
  });
});
