import { Subscription } from '../../db/entities';
import { syncCatalog } from '../../integrations/stripe/catalog-sync';
import { workflowIds } from '../../workflows/ids';
import { screenshot, signInAs } from './browser';
import { expectAccessible, starterOnClockForWeb, useWebStack } from './web-stack';

/**
 * A price change rehearsed and migrated from the console in real Chromium against the whole engine: three
 * Starter subscribers, a new version of Starter, the preview, the rehearsal's totals and moves, then its
 * approval into the durable migration followed to its end, with the one subscriber whose workflow no
 * longer runs listed with the reason.
 */
describe('a plan migration run from the console', () => {
  const web = useWebStack('web-plan-migration');

  it('starts the migration, follows its progress to the end and lists who could not be moved', async () => {
    const { stack } = web;
    const subs = [];
    for (const name of ['mig-web-a', 'mig-web-b', 'mig-web-c'])
      subs.push((await starterOnClockForWeb(stack, `${name}@example.com`)).sub.body);
    // One subscription's workflow is gone (an operator ended it by hand): it cannot be moved.
    const gone = subs[2].subscription_id as string;
    await stack.env.client.workflow.getHandle(workflowIds.subscription(gone)).terminate('test: gone');

    const page = await signInAs(web.browser, stack.api.url, {
      email: 'boss-mig@example.com',
      role: 'admin',
      next: '/admin/plans',
    });
    await page.getByRole('heading', { level: 1, name: 'Plans' }).waitFor();
    await page.getByRole('button', { name: 'Edit starter' }).click();
    await page.getByRole('form', { name: 'Edit starter' }).getByLabel('Monthly price (cents)').fill('2400');
    await page.getByRole('button', { name: 'Save starter' }).click();
    await page
      .getByText('starter is now version 2; 3 subscribers keep their version until migrated.')
      .waitFor();
    await syncCatalog(stack.stripe, stack.db.orm);

    await page.getByRole('button', { name: 'Preview migration of starter' }).click();
    await page.getByRole('button', { name: 'Rehearse 3 at their period end' }).click();
    await page.getByText('Rehearsal started: 3 subscriber(s), nothing changed.').waitFor();
    const summary = page.getByTestId('rehearsal-summary');
    await summary.waitFor({ timeout: 60_000 });
    expect(await summary.getByRole('listitem').allTextContents()).toEqual([
      'Monthly revenue $57.00 → $67.00',
      '2 pay more, 0 pay less, 0 the same, 1 could not be moved',
      // No usage in the last 30 days: the margin is the fees.
      'Monthly margin $57.00 → $67.00 (fees and the last 30 days of usage, less its provider cost of $0.00)',
    ]);
    const moves = page.getByRole('region', { name: 'Each move as rehearsed' });
    const moved = await moves.getByRole('row', { name: new RegExp(subs[0].subscription_id) }).textContent();
    expect(moved).toContain('$19.00$24.00—100 → 100Nothing');
    expect(moved).toMatch(/POST \/v1\/subscriptions\/sub_\w+ \(at period end\)/);
    expect(await moves.getByRole('row', { name: new RegExp(gone) }).textContent()).toContain(
      'not moved: The subscription has no running workflow',
    );
    await screenshot(page, 'plan-rehearsal');
    await expectAccessible(page, 'plan migration rehearsed');
    // Nothing moved yet: every subscriber is still on version 1 without a pending change.
    for (const s of subs)
      expect(
        (await stack.db.orm.em.fork().findOneOrFail(Subscription, s.subscription_id)).pendingTier ?? null,
      ).toBeNull();

    await page.getByRole('button', { name: 'Approve and migrate 3' }).click();
    const progress = page.getByTestId('migration-progress');
    await progress.getByText(/^Finished: /).waitFor({ timeout: 60_000 });
    expect(await progress.textContent()).toContain('3 of 3 handled (100 %): 2 moved, 1 could not be moved');
    expect(await page.getByTestId('migration-comparison').textContent()).toBe(
      '3 moved as rehearsed; none differed from the rehearsal',
    );
    const failures = page.getByRole('region', { name: 'Subscriptions the migration could not move' });
    expect(await failures.getByRole('row', { name: new RegExp(gone) }).textContent()).toBe(
      `${gone}1$19.00The subscription has no running workflow`,
    );
    await screenshot(page, 'plan-migration');
    await expectAccessible(page, 'plan migration finished');

    // The two moved wait for their period end at the new price.
    for (const s of subs.slice(0, 2)) {
      const view = await stack.env.client.workflow
        .getHandle(workflowIds.subscription(s.subscription_id))
        .query<{ pendingChange: { amountCents: number } | null }>('subscriptionState');
      expect(view.pendingChange).toMatchObject({ amountCents: 2400 });
    }
  }, 180_000);
});
