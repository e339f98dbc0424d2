import { commitmentsWorkflow } from '../../workflows/commitments';
import { workflowIds } from '../../workflows/ids';
import { waitUntil } from '../helpers/eventually';
import { screenshot, signInAs } from './browser';
import { expectAccessible, starterOnClockForWeb, useWebStack } from './web-stack';

/**
 * A minimum commitment in real Chromium against the whole engine: the operator sets one on a customer's
 * page in the console, the period ends short of it, and both the console and the customer's Invoices page
 * show the true-up.
 */
describe('minimum commitments in the web app', () => {
  const web = useWebStack('web-commitments');

  it('lets an operator set a minimum, and shows the operator and the customer the period trued up', async () => {
    const { stack } = web;
    const email = 'committed@example.com';
    const { clock, call, sub } = await starterOnClockForWeb(stack, email);

    const console = await signInAs(web.browser, stack.api.url, {
      email: 'boss@example.com',
      role: 'admin',
      next: `/admin/customer?email=${encodeURIComponent(email)}`,
    });
    const card = console.getByRole('region', { name: 'Minimum commitment', exact: true });
    await card.getByLabel('Minimum a period in USD').fill('50');
    await card.getByLabel('From').selectOption('current_period');
    await card.getByRole('button', { name: 'Set the commitment' }).click();
    await card.getByText(/^Commitment set: at least \$50\.00 a billing period from /).waitFor();
    await card.getByText('No period has been settled yet.').waitFor();
    await screenshot(console, 'admin-customer-commitment');
    await expectAccessible(console, 'console customer with a commitment');

    // The period ends having billed $19.00: the loop settles it with a true-up of $31.00.
    const end = Date.parse(sub.body.current_period_end) / 1000;
    await stack.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: end + 3600 });
    await waitUntil(
      () => call('GET', '/billing/invoices'),
      (r) => Array.isArray(r.body) && r.body.length === 2,
      'the renewal in the mirror',
      60_000,
    );
    await stack.env.client.workflow.execute(commitmentsWorkflow, {
      workflowId: 'commitments-web',
      taskQueue: 'web-commitments',
      args: [{ maxCycles: 1 }],
    });
    const settled = await waitUntil(
      () => call('GET', '/billing/commitment'),
      (r) => r.body?.periods?.length === 1,
      'the period settled',
      60_000,
    );
    const [period] = settled.body.periods;
    await stack.env.client.workflow
      .getHandle(workflowIds.commitmentTrueUp(period.commitment_id, period.period_start))
      .result();
    expect(period).toMatchObject({ consumed_cents: 1900, true_up_cents: 3100 });

    await console.reload();
    const row = card.getByRole('row').filter({ hasText: '$31.00' });
    await row.waitFor();
    expect(await row.textContent()).toContain('$19.00');
    await screenshot(console, 'admin-customer-commitment-settled');

    // The Revenue page counts the commitment live.
    await console.goto(`${stack.api.url}/admin`);
    await console.getByTestId('commitment-totals').getByText('1, $50.00 a month').waitFor();
    await screenshot(console, 'admin-revenue-commitments');

    const own = await signInAs(web.browser, stack.api.url, {
      email,
      role: 'viewer',
      next: '/billing/invoices',
    });
    await own
      .getByTestId('own-commitment')
      .getByText(/^You are billed at least \$50\.00 a billing period from /)
      .waitFor();
    const settledRow = own
      .getByRole('region', { name: 'Settled periods' })
      .getByRole('row')
      .filter({ hasText: '$31.00' });
    await settledRow.waitFor();
    expect(await settledRow.textContent()).toContain(period.invoice_id);
    await screenshot(own, 'invoices-commitment');
    await expectAccessible(own, 'invoices with a commitment');
  }, 180_000);
});
