import { checkoutWindow, nextCalendarAnchor } from '../../domain/billing-anchor';
import { waitUntil } from '../helpers/eventually';
import { screenshot, signInAs } from './browser';
import { expectAccessible, operatorCreatesPlan, useWebStack } from './web-stack';

/**
 * Calendar billing in real Chromium against the whole engine: the operator makes a plan that bills on the
 * 1st, a customer signs up for it, pays the days until the 1st on Stripe's page, and the dashboard says
 * the plan renews on the 1st.
 */
describe('calendar billing in the web app', () => {
  const web = useWebStack('web-billing-anchor');

  it('lets an operator sell a plan billed on the 1st, and a customer pay the days until it, then see it renew on the 1st', async () => {
    const { stack } = web;
    await operatorCreatesPlan(
      web,
      {
        code: 'monthly-first',
        name: 'On the first',
        monthlyCents: 3000,
        shows: 'on the 1st',
        shot: 'admin-plans-billing-anchor',
      },
      (form) =>
        form
          .getByLabel('Billing date')
          .selectOption('calendar')
          .then(() => undefined),
    );

    const page = await signInAs(web.browser, stack.api.url, {
      email: 'first-of-month@example.com',
      role: 'viewer',
      next: '/signup?plan=monthly-first',
    });
    // The plan's own billing date is ticked; the customer may untick it.
    await expect(page.getByLabel(/Bill on the 1st of the month/).isChecked()).resolves.toBe(true);
    await page.getByTestId('calendar-summary').getByText('until the 1st').waitFor();
    await screenshot(page, 'signup-billing-anchor');
    await expectAccessible(page, 'sign-up with calendar billing');
    const nowS = Math.floor(Date.now() / 1000);
    await page.getByRole('button', { name: 'Continue to payment' }).click();
    if (!checkoutWindow(nowS, nextCalendarAnchor(nowS)).ok) {
      // The last half hour of a month: no Checkout session could close before the 1st.
      await page.getByText('check out after midnight UTC').waitFor();
      return;
    }

    // Stripe's page charges the share of a month until the 1st, not the month.
    await page.waitForURL((u) => u.href.startsWith(stack.emulator.url));
    const sessionId = new URL(page.url()).pathname.split('/').pop() as string;
    const session = await stack.stripe.checkout.sessions.retrieve(sessionId);
    const due = session.amount_total ?? 0;
    expect(due).toBeGreaterThan(0);
    expect(due).toBeLessThanOrEqual(3000);
    await page.getByText(/^Subscribe — \d+\.\d\d USD$/).waitFor();
    await screenshot(page, 'checkout-billing-anchor');
    await page.getByLabel('Card number').fill('4242 4242 4242 4242');
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await page.waitForURL((u) => u.pathname === '/billing/success');

    await waitUntil(
      async () => {
        await page.goto(`${stack.api.url}/billing`);
        return page.getByTestId('status').getByText('Active').count();
      },
      (n) => n === 1,
      'the plan on the dashboard',
      60_000,
      1_000,
    );
    await page.getByTestId('billing-anchor').getByText('The 1st of the month').waitFor();
    await screenshot(page, 'dashboard-billing-anchor');
    await expectAccessible(page, 'dashboard with calendar billing');
    // What the card paid is the first invoice's one line, which runs to the 1st.
    const [sub] = (await stack.stripe.subscriptions.list({ status: 'active' })).data.filter(
      (s) => s.items.data[0]?.price.unit_amount === 3000,
    );
    const anchor = sub!.billing_cycle_anchor;
    expect(new Date(anchor * 1000).toISOString()).toMatch(/-01T00:00:00\.000Z$/);
    const [invoice] = (await stack.stripe.invoices.list({ subscription: sub!.id })).data;
    expect({ paid: invoice!.amount_paid, end: invoice!.lines.data[0]!.period.end }).toEqual({
      paid: invoice!.lines.data[0]!.amount,
      end: anchor,
    });
    expect(invoice!.amount_paid).toBeLessThanOrEqual(due);
  }, 180_000);
});
