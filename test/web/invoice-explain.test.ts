import { unzip } from '../helpers/unzip';
import { readFileSync } from 'node:fs';
import { UsageRollup } from '../../db/entities';
import { rollUpOnce } from '../helpers/full-stack';
import { waitUntil } from '../helpers/eventually';
import { screenshot, signInAs } from './browser';
import { expectAccessible, starterOnClockForWeb, useWebStack } from './web-stack';

const TASK_QUEUE = 'web-invoice-explain';

/**
 * An invoice explained in real Chromium against the whole engine: a Starter subscriber uses 900 units in
 * three events, the usage is rolled up and the period renews; the customer opens the renewal invoice's
 * explanation on the Invoices page (the plan's $19.00 and the usage's $2.40, each recomputed to the cent)
 * and downloads it as CSV, and the operator sees the same explanation on the customer's page in the
 * console with Stripe's link and the workflows.
 */
describe('an invoice explained in the web app', () => {
  const web = useWebStack(TASK_QUEUE);

  it('shows the customer and the operator each line of the renewal invoice, recomputed', async () => {
    const { stack } = web;
    const email = 'explained@example.com';
    const { clock, call, sub } = await starterOnClockForWeb(stack, email);
    const reported = await call('POST', '/billing/report_usage', {
      events: [
        { id: 'call-a', type: 'inference', quantity: 400 },
        { id: 'call-b', type: 'inference', quantity: 300 },
        { id: 'call-c', type: 'inference', quantity: 200 },
      ],
    });
    expect(reported.body).toMatchObject({ accepted: 3 });
    await rollUpOnce(stack, TASK_QUEUE, `usage-rollup-web-explain-${Date.now()}`);

    // The period ends: Stripe issues the renewal with the plan's fee and the usage the rollup sent it.
    const end: string = sub.body.current_period_end;
    await stack.stripe.testHelpers.testClocks.advance(clock.id, {
      frozen_time: Date.parse(end) / 1000 + 3600,
    });
    const listed = await waitUntil(
      () => call('GET', '/billing/invoices'),
      (r) =>
        Array.isArray(r.body) &&
        r.body.some(
          (i: { status: string; period_end: string }) => i.status === 'paid' && i.period_end === end,
        ),
      'the renewal in the mirror',
      120_000,
    );
    const renewal = (listed.body as { id: string; number: string | null; period_end: string }[]).find(
      (i) => i.period_end === end,
    )!;
    const label = renewal.number ?? renewal.id;

    const own = await signInAs(web.browser, stack.api.url, {
      email,
      role: 'viewer',
      next: '/billing/invoices',
    });
    const explain = own.getByRole('button', { name: `Explain invoice ${label}`, exact: true });
    await explain.click();
    expect(await explain.getAttribute('aria-expanded')).toBe('true');
    const lines = own.getByRole('region', { name: `Lines of invoice ${label}`, exact: true });
    const planRow = lines.getByRole('row').filter({ has: own.getByRole('rowheader', { name: /^Plan/ }) });
    await planRow.waitFor();
    const planText = await planRow.textContent();
    expect(planText).toContain('1 × $19.00 (Starter, monthly)');
    expect(planText).toContain('$19.00');
    expect(planText).toContain('Recomputed ✓');
    const usageRow = lines.getByRole('row').filter({ has: own.getByRole('rowheader', { name: /^Usage/ }) });
    const usageText = await usageRow.textContent();
    expect(usageText).toContain('900 units in 3 events: 100 included, 800 priced');
    expect(usageText).toContain('$2.40');
    expect(usageText).toContain('Recomputed ✓');
    await own.getByText('Every line recomputes to what was billed.').waitFor();
    await screenshot(own, 'invoice-explain');
    await expectAccessible(own, 'invoices with an invoice explained');

    // The explanation as CSV: a row a line and the rate-card line the usage was rated by.
    const [file] = await Promise.all([
      own.waitForEvent('download'),
      own.getByRole('button', { name: `Download CSV explaining invoice ${label}` }).click(),
    ]);
    expect(file.suggestedFilename()).toBe(`invoice-${label}-explained.csv`);
    const rows = readFileSync((await file.path())!, 'utf8')
      .trim()
      .split('\r\n');
    expect(rows[0]).toMatch(/^kind,description,/);
    expect(rows.filter((r) => r.startsWith('rated,'))).toHaveLength(1);

    // Explain again closes it.
    await explain.click();
    await lines.waitFor({ state: 'detached' });

    // The operator: the same lines on the customer's page, with Stripe's link and the workflows.
    const adminToken = (
      await stack.api.request('POST', '/api/v1/auth/dev-token', {
        body: { email: 'boss@example.com', role: 'admin' },
      })
    ).body.access_token as string;
    const expected = (
      await stack.api.request('GET', `/api/v1/admin/billing/invoices/${renewal.id}/explain`, {
        token: adminToken,
      })
    ).body as { stripe: { invoice_url: string }; workflows: { id: string }[] };
    expect(expected.workflows.length).toBeGreaterThan(0);

    const console = await signInAs(web.browser, stack.api.url, {
      email: 'boss@example.com',
      role: 'admin',
      next: `/admin/customer?email=${encodeURIComponent(email)}`,
    });
    await console.getByRole('button', { name: `Explain invoice ${label}`, exact: true }).click();
    const adminLines = console.getByRole('region', { name: `Lines of invoice ${label}`, exact: true });
    const adminUsage = adminLines
      .getByRole('row')
      .filter({ has: console.getByRole('rowheader', { name: /^Usage/ }) });
    await adminUsage.waitFor();
    expect(await adminUsage.textContent()).toContain('Recomputed ✓');
    const trail = await adminUsage.getByTestId('usage-trail').textContent();
    expect(trail).toMatch(/^\d+ rollups?; events call-a, call-b, call-c; SHA-256 of the ids [0-9a-f]{12}…$/);
    const links = console.getByTestId('explain-links');
    const stripeLink = links.getByRole('link', { name: `Invoice ${renewal.id} in Stripe` });
    expect(await stripeLink.getAttribute('href')).toBe(expected.stripe.invoice_url);
    for (const w of expected.workflows) await links.getByText(w.id, { exact: true }).waitFor();
    // The evidence pack for a dispute: the explanation and every event, in one archive.
    const [pack] = await Promise.all([
      console.waitForEvent('download'),
      console.getByRole('button', { name: `Evidence pack of invoice ${label}` }).click(),
    ]);
    expect(pack.suggestedFilename()).toBe(`invoice-${label}-evidence.zip`);
    const packed = unzip(readFileSync((await pack.path())!));
    expect(packed.map((f) => f.name)).toEqual([
      'README.txt',
      'explanation.json',
      'explanation.csv',
      'events.csv',
    ]);
    expect(packed[3]!.data.toString('utf8')).toContain('call-c,inference,200,');
    await screenshot(console, 'admin-invoice-explain');
    await expectAccessible(console, 'console customer with an invoice explained');

    // The stored usage changes after Stripe billed it (900 units become 1,000): the customer is warned and
    // the usage line shows what its inputs come to now, $2.70 for 900 priced units.
    const em = stack.db.orm.em.fork();
    const [rollup, ...more] = await em.find(UsageRollup, { customer: { email } });
    expect(more).toHaveLength(0);
    rollup!.quantity = 1000;
    await em.flush();
    await own.reload();
    await own.getByRole('button', { name: `Explain invoice ${label}`, exact: true }).click();
    await own.getByRole('alert').getByText('Some lines do not recompute to what was billed.').waitFor();
    const differs = await usageRow.textContent();
    expect(differs).toContain('Differs: recomputed $2.70');
    expect(differs).toContain('The rollups hold 1,000 units');
    expect(await planRow.textContent()).toContain('Recomputed ✓');
    await screenshot(own, 'invoice-explain-differs');
    await expectAccessible(own, 'invoices with an invoice that differs');
  }, 300_000);
});
