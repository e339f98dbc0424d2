import { waitUntil } from '../helpers/eventually';
import { screenshot, signInAs } from './browser';
import { expectAccessible, operatorCreatesPlan, useWebStack } from './web-stack';

/**
 * Seats in real Chromium against the whole engine: the operator makes a plan priced per seat, a customer
 * buys three seats, and later prices and confirms two more from the dashboard.
 */
describe('seats in the web app', () => {
  const web = useWebStack('web-seats');

  it('lets an operator sell seats, and a customer buy three and then add two, priced before confirming', async () => {
    const { stack } = web;
    await operatorCreatesPlan(
      web,
      { code: 'team', name: 'Team', monthlyCents: 1500, shows: '2 to 25', shot: 'admin-plans-seats' },
      async (form) => {
        await form.getByLabel('Seats from (empty: not priced per seat)').fill('2');
        await form.getByLabel('Seats up to (empty: no maximum)').fill('25');
      },
    );

    const page = await signInAs(web.browser, stack.api.url, {
      email: 'team-lead@example.com',
      role: 'viewer',
      next: '/signup?plan=team',
    });
    await page.getByLabel(/^Seats/).fill('3');
    await page.getByText('You pay $45.00 today for Team (3 seats)').waitFor();
    await screenshot(page, 'signup-seats');
    await expectAccessible(page, 'sign-up with seats');
    await page.getByRole('button', { name: 'Continue to payment' }).click();
    await page.waitForURL((u) => u.href.startsWith(stack.emulator.url));
    await page.getByText('Subscribe — 45.00 USD').waitFor();
    await page.getByLabel('Card number').fill('4242 4242 4242 4242');
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await page.waitForURL((u) => u.pathname === '/billing/success');

    await waitUntil(
      async () => {
        await page.goto(`${stack.api.url}/billing`);
        return page.getByTestId('seats').getByText('3 ×').count();
      },
      (n) => n === 1,
      'three seats on the dashboard',
      60_000,
      1_000,
    );
    const seats = page.getByRole('form', { name: 'Seats' });
    await seats.getByLabel('Seats').fill('5');
    await seats.getByRole('button', { name: 'Price the change' }).click();
    await page
      .getByTestId('seats-said')
      .getByText(/^5 seats: \$75\.00 each period\. You pay \$\d+\.\d\d now/)
      .waitFor();
    await screenshot(page, 'dashboard-seats-priced');
    await seats.getByRole('button', { name: 'Confirm 5 seats' }).click();
    await page.getByTestId('seats-said').getByText('You now have 5 seats.').waitFor();
    await waitUntil(
      async () => {
        await page.reload();
        return page.getByTestId('seats').getByText('5 ×').count();
      },
      (n) => n === 1,
      'five seats on the dashboard',
      30_000,
      500,
    );
    await screenshot(page, 'dashboard-seats');
    await expectAccessible(page, 'dashboard with seats');
    const [sub] = (await stack.stripe.subscriptions.list({ status: 'active' })).data.filter(
      (s) => s.items.data[0]?.price.unit_amount === 1500,
    );
    expect(sub!.items.data[0]!.quantity).toBe(5);
  }, 180_000);

  it('lets an operator give seats volume discounts, and a customer see the bands and pay the tiered total at checkout', async () => {
    const { stack } = web;
    await operatorCreatesPlan(
      web,
      {
        code: 'crew',
        name: 'Crew',
        monthlyCents: 1500,
        shows: 'graduated: 11:20, 21:40',
        shot: 'admin-plans-seat-tiers',
      },
      async (form) => {
        await form.getByLabel('Seats from (empty: not priced per seat)').fill('1');
        await form.getByLabel(/^Seat discounts \(from seat/).fill('11:20, 21:40');
      },
    );
    const page = await signInAs(web.browser, stack.api.url, {
      email: 'crew-lead@example.com',
      role: 'viewer',
      next: '/signup?plan=crew',
    });
    const bands = page.getByRole('list', { name: 'Seat discounts' });
    await bands.getByText('From seat 11: $12.00 / month (20% off)').waitFor();
    await bands.getByText('From seat 21: $9.00 / month (40% off)').waitFor();
    // Ten seats at 15.00 and two at 12.00.
    await page.getByLabel(/^Seats/).fill('12');
    await page.getByText('You pay $174.00 today for Crew (12 seats)').waitFor();
    await screenshot(page, 'signup-seat-tiers');
    await expectAccessible(page, 'sign-up with seat tiers');
    await page.getByRole('button', { name: 'Continue to payment' }).click();
    await page.waitForURL((u) => u.href.startsWith(stack.emulator.url));
    // What the page said is what Stripe charges.
    await page.getByText('Subscribe — 174.00 USD').waitFor();
  }, 180_000);
});
