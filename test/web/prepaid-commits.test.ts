import { commitmentsWorkflow } from '../../workflows/commitments';
import { workflowIds } from '../../workflows/ids';
import { waitUntil } from '../helpers/eventually';
import { screenshot, signInAs } from './browser';
import { expectAccessible, starterOnClockForWeb, useWebStack } from './web-stack';

/**
 * A prepaid commit in real Chromium against the whole engine: the operator sells one on a customer's page
 * in the console, the renewal is paid from it, the term ends and what is left expires; the console, the
 * Revenue page and the customer's Invoices page show it.
 */
describe('prepaid commits in the web app', () => {
  const web = useWebStack('web-prepaid-commits');

  it('lets an operator sell a commit, and shows the operator and the customer what it drew and what expired', async () => {
    const { stack } = web;
    const email = 'prepaid@example.com';
    const { clock, call, sub } = await starterOnClockForWeb(stack, email);

    const console = await signInAs(web.browser, stack.api.url, {
      email: 'boss@example.com',
      role: 'admin',
      next: `/admin/customer?email=${encodeURIComponent(email)}`,
    });
    const card = console.getByRole('region', { name: 'Prepaid commit', exact: true });
    await card.getByText('No prepaid commit yet.').waitFor();
    await card.getByLabel('Amount in USD').fill('50');
    await card.getByLabel('Billing periods').fill('1');
    await card.getByLabel('What is left at the end').selectOption('expire');
    await card.getByRole('button', { name: 'Charge and credit' }).click();
    await card.getByText(/^Prepaid commit of \$50\.00 paid and credited: 1 billing period from /).waitFor();
    const active = card.getByRole('row').filter({ hasText: 'In its term' });
    await active.waitFor();
    expect(await active.textContent()).toContain('$50.00');
    // One commit in its term at a time: the form is gone.
    expect(await card.getByRole('button', { name: 'Charge and credit' }).count()).toBe(0);
    await screenshot(console, 'admin-customer-prepaid-commit');
    await expectAccessible(console, 'console customer with a prepaid commit');

    // The Revenue page counts it in its term.
    await console.goto(`${stack.api.url}/admin`);
    await console.getByTestId('prepaid-commit-totals').getByText('1, $50.00 paid').waitFor();
    await screenshot(console, 'admin-revenue-prepaid-commits');
    await console.goto(`${stack.api.url}/admin/customer?email=${encodeURIComponent(email)}`);

    // The period ends: its $19.00 renewal is paid from the commit, and the term is over.
    const end = Date.parse(sub.body.current_period_end) / 1000;
    await stack.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: end + 3600 });
    await waitUntil(
      () => call('GET', '/billing/invoices'),
      (r) => Array.isArray(r.body) && r.body.length === 3,
      'the renewal in the mirror',
      60_000,
    );
    await waitUntil(
      () => call('GET', '/billing/subscription'),
      (r) => r.body?.current_period_start === new Date(end * 1000).toISOString(),
      'the next period',
      60_000,
    );
    await stack.env.client.workflow.execute(commitmentsWorkflow, {
      workflowId: 'prepaid-commits-web',
      taskQueue: 'web-prepaid-commits',
      args: [{ maxCycles: 1 }],
    });
    const commitId = (await call('GET', '/billing/prepaid-commits')).body.commits[0].id as string;
    const settled = await stack.env.client.workflow
      .getHandle(workflowIds.prepaidCommitSettlement(commitId))
      .result();
    expect(settled).toMatchObject({ drawnCents: 1900, expiredCents: 3100 });

    await console.reload();
    const row = card.getByRole('row').filter({ hasText: 'Settled' });
    await row.waitFor();
    expect(await row.textContent()).toMatch(/\$19\.00.*\$31\.00 expired/);
    await card.getByRole('button', { name: 'Charge and credit' }).waitFor();
    await screenshot(console, 'admin-customer-prepaid-commit-settled');

    const own = await signInAs(web.browser, stack.api.url, {
      email,
      role: 'viewer',
      next: '/billing/invoices',
    });
    const mine = own.getByRole('region', { name: 'Prepaid commits', exact: true });
    const ownRow = mine.getByRole('row').filter({ hasText: '$31.00 expired' });
    await ownRow.waitFor();
    expect(await ownRow.textContent()).toContain('$19.00');
    await screenshot(own, 'invoices-prepaid-commit');
    await expectAccessible(own, 'invoices with a prepaid commit');
  }, 180_000);
});
