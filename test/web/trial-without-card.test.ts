import { waitUntil } from '../helpers/eventually';
import { screenshot, signInAs } from './browser';
import { expectAccessible, operatorCreatesPlan, useWebStack } from './web-stack';

/**
 * A trial without a card, in real Chromium against the whole engine: the operator makes a plan whose trial
 * asks for no card, a customer starts it without typing one, the trial ends paused for want of a card, and
 * adding one on the payment methods page brings the plan back, billed.
 */
describe('a trial without a card in the web app', () => {
  const web = useWebStack('web-trial-without-card');
  const email = 'cardless-web@example.com';

  it('lets an operator sell a trial without a card, and a customer start it, lose access at its end and get it back by adding a card', async () => {
    const { stack } = web;
    const admin = await operatorCreatesPlan(
      web,
      {
        code: 'cardless',
        name: 'Cardless',
        monthlyCents: 2900,
        shows: '14 days, no card (then asks for a card)',
        shot: 'admin-plans-trial-without-card',
      },
      async (form) => {
        await form.getByLabel('Trial days').fill('14');
        await form.getByLabel('Card for the trial').selectOption('ask_for_card');
      },
    );

    const page = await signInAs(web.browser, stack.api.url, { email, role: 'viewer', next: '/plans' });
    await page.getByTestId('cardless-cardless').getByText('14-day free trial, no card needed').waitFor();
    await page.getByRole('link', { name: 'Start the free trial of Cardless' }).click();
    await page.getByTestId('trial-summary').getByText('no card needed').waitFor();
    await screenshot(page, 'signup-trial-without-card');
    await page.getByRole('button', { name: 'Start the free trial' }).click();

    // Stripe's page asks for no card: nothing is due today.
    await page.waitForURL((u) => u.href.startsWith(stack.emulator.url));
    await page.getByText('No card needed: nothing is charged during the trial.').waitFor();
    await expect(page.getByLabel('Card number').count()).resolves.toBe(0);
    await screenshot(page, 'checkout-trial-without-card');
    await page.getByRole('button', { name: 'Start trial' }).click();
    await page.waitForURL((u) => u.pathname === '/billing/success');

    // The dashboard reads the mirror, which Stripe's events fill a moment after Checkout.
    await waitUntil(
      async () => {
        await page.goto(`${stack.api.url}/billing`);
        return page.getByTestId('status').getByText('Trial').count();
      },
      (n) => n === 1,
      'the trial on the dashboard',
      60_000,
      1_000,
    );
    await page.getByTestId('card-needed').getByText('Your trial started without a card.').waitFor();
    await screenshot(page, 'dashboard-trial-without-card');
    await expectAccessible(page, 'dashboard, trial without a card');

    // The trial ends without a card: Stripe pauses the subscription and access stops.
    const [sub] = (await stack.stripe.subscriptions.list({ status: 'trialing' })).data;
    await stack.stripe.subscriptions.update(sub!.id, { trial_end: 'now' });
    await waitUntil(
      async () => {
        await page.reload();
        return page.getByTestId('card-needed').getByText('Your free trial has ended.').count();
      },
      (n) => n === 1,
      'the paused plan on the dashboard',
      30_000,
      500,
    );
    await page.getByText('Unpause my plan').waitFor({ state: 'detached' });
    await screenshot(page, 'dashboard-trial-ended-card-needed');
    await expectAccessible(page, 'dashboard, waiting for a card');

    await page.getByRole('link', { name: 'Add a card' }).click();
    await page.getByRole('button', { name: 'Add a card' }).click();
    await page.waitForURL((u) => u.href.startsWith(stack.emulator.url));
    await page.getByLabel('Card number').fill('4242 4242 4242 4242');
    await page.getByRole('button', { name: 'Save card' }).click();
    await page.getByText('VISA •••• 4242 was added.').waitFor({ timeout: 30_000 });

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Billing' }).click();
    await waitUntil(
      async () => {
        await page.reload();
        return page.getByTestId('status').getByText('Active').count();
      },
      (n) => n === 1,
      'the plan active again',
      30_000,
      500,
    );
    await expect(page.getByTestId('card-needed').count()).resolves.toBe(0);
    await screenshot(page, 'dashboard-resumed-after-card');
    const invoices = await stack.stripe.invoices.list({ subscription: sub!.id });
    expect(invoices.data.map((i) => i.amount_paid).filter((c) => c > 0)).toEqual([2900]);

    // The operator sees the customer's next invoice as the customer does: the plan's next month.
    await admin.goto(`${stack.api.url}/admin/customer?email=${encodeURIComponent(email)}`);
    const upcoming = admin.getByRole('region', { name: /Upcoming invoice/ });
    await upcoming.getByRole('rowheader', { name: /Plan/ }).waitFor({ timeout: 30_000 });
    await upcoming.getByTestId('upcoming-totals').getByText('$29.00').first().waitFor();
    await screenshot(admin, 'admin-customer-upcoming-invoice');
    await expectAccessible(admin, 'admin customer with the upcoming invoice');

    // What if they used 20,000 inference units more: the console shows Stripe's preview of it, as answered.
    const whatIf = admin.getByRole('region', { name: 'What if they use more' });
    await whatIf.getByLabel('Units').fill('20000');
    const answered = admin.waitForResponse((r) => r.url().endsWith('/invoices/upcoming/what-if'));
    await whatIf.getByRole('button', { name: 'Preview' }).click();
    const body = (await (await answered).json()) as {
      invoice: { amount_due_cents: number; subtotal_cents: number };
      extra_cents: number;
    };
    expect(body.invoice.subtotal_cents).toBe(2900 + body.extra_cents);
    const due = `$${(body.invoice.amount_due_cents / 100).toFixed(2)}`;
    await whatIf.getByTestId('what-if-totals').getByText(due, { exact: false }).first().waitFor();
    expect(await whatIf.getByTestId('what-if-totals').textContent()).toContain('20,000 more units');
    // Of one model's output tokens: the form names both, for a card that prices token kinds apart.
    await whatIf.getByLabel('Model').fill('gpt-4o');
    await whatIf.getByLabel('Tokens').selectOption('output');
    const asked = admin.waitForRequest((r) => r.url().endsWith('/invoices/upcoming/what-if'));
    const again = admin.waitForResponse((r) => r.url().endsWith('/invoices/upcoming/what-if'));
    await whatIf.getByRole('button', { name: 'Preview' }).click();
    expect((await asked).postDataJSON()).toEqual({
      usage: [{ type: 'inference', units: 20000, model: 'gpt-4o', direction: 'output' }],
    });
    expect((await again).status()).toBe(200);
    await screenshot(admin, 'admin-customer-what-if');
  }, 180_000);
});
