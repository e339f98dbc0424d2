import type { Browser } from 'playwright-core';
import { newId } from '../../db/ids';
import type { Identity } from '../../domain/identity';
import { sqlFor } from '../../db/raw-sql';
import { createPlan } from '../../services/plans/manage-plans';
import type { TestApi } from '../helpers/api';
import { bookWriter, DAY } from '../helpers/book';
import { aiRateCard } from '../helpers/rate-cards';
import { openWebApp, screenshot, seriousA11yViolations, signInAs } from './browser';

/** The customer's Billing page shows what each line of their plan's rate card has cost this period. */
describe('usage cost by type and model in the browser', () => {
  let web: Awaited<ReturnType<typeof openWebApp>>;
  let db: typeof web.db;
  let api: TestApi;
  let browser: Browser;
  const email = 'rita-rated@example.com';

  beforeAll(async () => {
    web = await openWebApp();
    ({ db, api, browser } = web);
    const admin: Identity = {
      sub: 'a',
      email: 'a@example.com',
      name: null,
      roles: [],
      role: 'admin',
      expMs: 0,
    };
    await createPlan(db.orm.em.fork(), admin, 'rated', {
      displayName: 'Rated',
      priceMonthlyCents: 4900,
      services: ['api', 'byok'],
      includedCredits: 1000,
      overagePer1kCents: 200,
      rateCard: aiRateCard(),
    });
    const em = db.orm.em.fork();
    const book = bookWriter(em);
    const started = new Date(Date.now() - 3 * DAY);
    const rita = book.customer({ email, userId: `local-${email}`, createdAt: started });
    const sub = book.subscription(rita, {
      tier: 'rated',
      amountCents: 4900,
      status: 'active',
      createdAt: started,
    });
    // A forever coupon of 20 %: the estimate takes it off the plan and the usage, line by line.
    sub.discount = {
      couponId: 'launch20',
      promotionCodeId: null,
      start: started.toISOString(),
      end: null,
      percentOffBp: 2000,
      amountOffCents: null,
      name: 'Launch',
    };
    await em.flush();
    // Usage already rolled up this period: 3,500 output tokens and 4,000 units on the customer's own key.
    const sql = sqlFor(db.orm.em.fork());
    for (const [type, line, units] of [
      ['inference', 'inference[direction=output,model=gpt-4o]', 3500],
      ['inference', 'byok:*', 4000],
    ] as const) {
      await sql.run(
        `insert into usage_rollups (id, customer_id, type, line_key, period_start, window_start, window_end, quantity,
           identifier, created_at)
         values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          newId('urol'),
          rita.id,
          type,
          line,
          sql.date(started),
          sql.date(new Date(started.getTime() + DAY)),
          sql.date(new Date(started.getTime() + DAY + 300_000)),
          units,
          `${rita.id}:${line}`,
          sql.date(new Date()),
        ],
      );
    }
  });
  afterAll(() => web?.close());

  it('lists each line with its units and cents, and the estimate counts them less the coupon', async () => {
    const page = await signInAs(browser, api.url, { email, role: 'viewer', next: '/' });
    const card = page.getByRole('region', { name: 'Usage cost this period', exact: true });
    await card.waitFor();
    const rows = await card
      .locator('tbody tr')
      .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('th, td')].map((c) => c.textContent)));
    // 1,000 × 0.5¢ + 2,000 × 0.25¢ + 500 × 0.1¢ = $10.50; 4,000 × 0.05¢ = $2.00.
    expect(rows).toEqual([
      ['Other usage (included credits)', '0', '0', '$0.00'],
      ['inference · model gpt-4o, direction output', '3,500', '0', '$10.50'],
      ['Your own key: All types', '4,000', '0', '$2.00'],
    ]);
    expect(await card.getByTestId('usage-cost-total').textContent()).toBe('$12.50');
    const estimate = page.getByRole('region', { name: 'Next invoice (estimate)', exact: true });
    // $49.00 + $12.50, less 20 % of each: $9.80 and $2.50.
    await estimate.getByText('$49.20').waitFor();
    // Named as customers know it, not by its id.
    expect(await estimate.getByText(/coupon Launch/).textContent()).toContain('− $12.30 coupon Launch');
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'billing-usage-cost');
  });
});
