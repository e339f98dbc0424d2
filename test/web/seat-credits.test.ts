import type { Browser } from 'playwright-core';
import { Plan } from '../../db/entities';
import type { TestApi } from '../helpers/api';
import { bookWriter, DAY } from '../helpers/book';
import { openWebApp, screenshot, seriousA11yViolations, signInAs } from './browser';

/** Seats with credits of their own in real Chromium: the customer sees each seat holder's credits. */
describe('seat credits in the browser', () => {
  let web: Awaited<ReturnType<typeof openWebApp>>;
  let api: TestApi;
  let browser: Browser;
  const email = 'sam-seat-credits@example.com';

  beforeAll(async () => {
    web = await openWebApp();
    ({ api, browser } = web);
    const em = web.db.orm.em.fork();
    const professional = await em.findOneOrFail(Plan, { code: 'professional', isCurrent: true });
    em.create(Plan, {
      ...professional,
      id: 'plan_team-credits_v1',
      code: 'team-credits',
      displayName: 'Team with credits',
      seatMin: 1,
      seatMax: null,
      seatCredits: 50,
    });
    const book = bookWriter(em);
    const sam = book.customer({ email, userId: `local-${email}`, createdAt: new Date(Date.now() - 3 * DAY) });
    const sub = book.subscription(sam, {
      tier: 'team-credits',
      amountCents: 9800,
      status: 'active',
      createdAt: new Date(Date.now() - 3 * DAY),
    });
    sub.seats = 2;
    await em.flush();
    // Three users' usage: Ann and Bob take the two seats, Cy draws on the account.
    const token = (await api.request('POST', '/api/v1/auth/dev-token', { body: { email, role: 'viewer' } }))
      .body.access_token as string;
    const reported = await api.request('POST', '/api/v1/billing/report_usage', {
      token,
      body: {
        events: [
          { id: 's1', type: 'inference', quantity: 30, subject: 'user:ann' },
          { id: 's2', type: 'inference', quantity: 70, subject: 'user:bob' },
          { id: 's3', type: 'inference', quantity: 10, subject: 'user:cy' },
        ],
      },
    });
    expect(reported.body).toMatchObject({ accepted: 3 });
  });
  afterAll(() => web?.close());

  it("shows each seat holder's credits, used before the included ones", async () => {
    const page = await signInAs(browser, api.url, { email, role: 'viewer', next: '/billing/credits' });
    const card = page.getByRole('region', { name: 'Seat credits this period', exact: true });
    await card.getByRole('table').waitFor();
    const rows = (await card.getByRole('row').allTextContents()).slice(1);
    expect(rows).toEqual(['user:ann3020', 'user:bob500']);
    expect(await card.textContent()).toContain('Each of 2 seats carries 50 credits');
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'seat-credits');
  });

  it('shows an operator the same seat holders on the console', async () => {
    const page = await signInAs(browser, api.url, {
      email: 'boss@example.com',
      role: 'admin',
      next: `/admin/customer?email=${encodeURIComponent(email)}`,
    });
    const section = page.getByRole('region', { name: 'Seat credits this period', exact: true });
    await section.getByRole('table').waitFor();
    expect((await section.getByRole('row').allTextContents()).slice(1)).toEqual([
      'user:ann3020',
      'user:bob500',
    ]);
    expect(await seriousA11yViolations(page)).toEqual([]);
  });
});
