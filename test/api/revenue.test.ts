import type { Dialect } from '../../db/orm';
import { bookWriter, DAY, startBillingTestApi } from '../helpers/book';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { openTestDatabase } from '../helpers/db';

describe.each<Dialect>(['sqlite', 'postgresql'])('revenue figures on %s', (dialect) => {
  let idp: TestIdp;
  let admin: string;
  beforeAll(async () => {
    idp = await startTestIdp();
    admin = await idp.token({ email: 'boss@example.com', roles: ['admin'] });
  });
  afterAll(() => idp.stop());

  async function withBook<T>(fn: (ctx: Awaited<ReturnType<typeof setUp>>) => Promise<T>): Promise<T> {
    const ctx = await setUp();
    try {
      return await fn(ctx);
    } finally {
      await ctx.api.stop();
      await ctx.db.close();
    }
  }
  const KINDS = ['new', 'expansion', 'contraction', 'churned', 'reactivated'] as const;
  interface MovementPoint {
    period: string;
    starting_mrr_cents: number;
    ending_mrr_cents: number;
    net_new_mrr_cents: number;
    [kind: string]: unknown;
  }
  const part = (p: MovementPoint, kind: string) => p[kind] as { mrr_cents: number; customers: number };

  /**
   * This month's movements as GET /admin/revenue gives them, against the same month from
   * GET /admin/revenue/movements: as one month, and as the sum of its days up to today.
   */
  async function expectPeriodsToSumToThisMonth(api: Awaited<ReturnType<typeof setUp>>['api']) {
    const month = await api.request('GET', '/api/v1/admin/revenue', { token: admin });
    expect(month.status).toBe(200);
    const m = month.body.movements;
    const today = new Date().toISOString().slice(0, 10);
    const first = `${today.slice(0, 7)}-01`;
    const get = async (interval: string) => {
      const res = await api.request(
        'GET',
        `/api/v1/admin/revenue/movements?interval=${interval}&from=${first}&to=${today}`,
        { token: admin },
      );
      expect(res.status).toBe(200);
      return res.body.points as MovementPoint[];
    };
    const [days, months] = await Promise.all([get('day'), get('month')]);
    expect(days).toHaveLength(Number(today.slice(8, 10)));
    expect(months).toHaveLength(1);
    const expected = {
      starting_mrr_cents: m.starting_mrr_cents,
      ending_mrr_cents: m.ending_mrr_cents,
      net_new_mrr_cents: m.net_new_mrr_cents,
      ...Object.fromEntries(KINDS.map((k) => [k, { mrr_cents: m[k].mrr_cents, customers: m[k].customers }])),
    };
    expect(months[0]).toMatchObject({ period: m.month, ...expected });
    const summed = {
      starting_mrr_cents: days[0]!.starting_mrr_cents,
      ending_mrr_cents: days[days.length - 1]!.ending_mrr_cents,
      net_new_mrr_cents: days.reduce((s, p) => s + p.net_new_mrr_cents, 0),
      ...Object.fromEntries(
        KINDS.map((k) => [
          k,
          {
            mrr_cents: days.reduce((s, p) => s + part(p, k).mrr_cents, 0),
            customers: days.reduce((s, p) => s + part(p, k).customers, 0),
          },
        ]),
      ),
    };
    expect(summed).toEqual(expected);
    // Each day starts where the one before ended.
    for (let i = 1; i < days.length; i++)
      expect(days[i]!.starting_mrr_cents).toBe(days[i - 1]!.ending_mrr_cents);
    return { month: m, days };
  }

  async function setUp() {
    const db = await openTestDatabase(dialect);
    const api = await startBillingTestApi({
      orm: db.orm,
      env: { OIDC_ISSUER: idp.issuer, OIDC_JWKS_URL: idp.jwksUrl },
    });
    const em = db.orm.em.fork();
    return { db, api, em, book: bookWriter(em) };
  }

  it('computes MRR, ARR, churn, ARPU and 30-day revenue as worked out by hand', () =>
    withBook(async ({ api, book }) => {
      const ago = (days: number) => new Date(Date.now() - days * DAY);
      const inDays = (days: number) => new Date(Date.now() + days * DAY);
      const sub = (row: Parameters<typeof book.subscription>[1]) => {
        const c = book.customer({ createdAt: row.createdAt });
        return { c, s: book.subscription(c, row) };
      };
      // Paying now (annualised cents in brackets):
      const a = sub({ tier: 'professional', amountCents: 4900, status: 'active', createdAt: ago(100) }); // 58800
      sub({ tier: 'starter', amountCents: 19000, interval: 'year', status: 'active', createdAt: ago(200) }); // 19000
      sub({
        tier: 'professional',
        amountCents: 4900,
        status: 'active',
        createdAt: ago(60),
        cancelAtPeriodEnd: true,
      }); // 58800, until it ends
      // Upgraded from starter 20 days ago: 118800.
      const e = sub({ tier: 'starter', amountCents: 1900, status: 'active', createdAt: ago(90) });
      book.change(e.s, { at: ago(20), tier: 'enterprise', amountCents: 9900 });
      const f = sub({ tier: 'professional', amountCents: 4900, status: 'past_due', createdAt: ago(45) }); // 58800
      const h = sub({
        tier: 'starter',
        amountCents: 1900,
        status: 'active',
        createdAt: ago(40),
        trialEnd: ago(33),
      }); // 22800
      // Not paying now:
      sub({ tier: 'starter', amountCents: 1900, status: 'trialing', createdAt: ago(3), trialEnd: inDays(4) });
      sub({
        amountCents: 4900,
        status: 'canceled',
        createdAt: ago(120),
        canceledAt: ago(10),
        endedAt: ago(10),
      }); // churned
      sub({
        tier: 'starter',
        amountCents: 1900,
        status: 'canceled',
        createdAt: ago(20),
        trialEnd: ago(13),
        endedAt: ago(13),
      }); // trial never converted: not churn
      sub({ amountCents: 4900, status: 'incomplete', createdAt: ago(2) });
      sub({ amountCents: 4900, status: 'paused', createdAt: ago(80), pausedAt: ago(5) }); // stopped paying: churned
      sub({
        tier: 'enterprise',
        amountCents: 99000,
        interval: 'year',
        status: 'canceled',
        createdAt: ago(400),
        endedAt: ago(50),
      });
      sub({ amountCents: 5000, status: 'active', createdAt: ago(30), currency: 'eur' }); // another currency
      book.invoice(a.c, { amountCents: 4900, createdAt: ago(10) });
      book.invoice(e.c, { amountCents: 9900, createdAt: ago(20) });
      book.invoice(h.c, { amountCents: 1900, createdAt: ago(3) });
      book.invoice(f.c, { amountCents: 4900, createdAt: ago(5), status: 'open' });
      book.invoice(a.c, { amountCents: 4900, createdAt: ago(40) });
      await book.flush();

      const res = await api.request('GET', '/api/v1/admin/revenue', { token: admin });
      expect(res.status).toBe(200);
      // ARR = 58800 + 19000 + 58800 + 118800 + 58800 + 22800 = 337000; MRR = 337000 / 12 = 28083.33.
      // ARPU over 6 paying customers = 4680.56. Active 30 days ago: 8 (6 above but h? yes, plus the
      // canceled and the paused one); 2 of them stopped paying since: churn 2 / 8.
      expect(res.body).toMatchObject({
        mrr: 280.83,
        mrr_cents: 28083,
        arr: 3370,
        arr_cents: 337000,
        active_subscriptions: 6,
        paying_customers: 6,
        arpu: 46.81,
        arpu_cents: 4681,
        churn_rate: 0.25,
        churn_percentage: 25,
        active_subscriptions_30d_ago: 8,
        churned_subscriptions_30d: 2,
        recent_revenue_30d: 167,
        recent_revenue_30d_cents: 16700,
        currency: 'usd',
      });

      const stats = await api.request('GET', '/api/v1/admin/billing/stats', { token: admin });
      expect(stats.body).toMatchObject({
        total_customers: 13,
        active_subscriptions: 6,
        trial_subscriptions: 1,
        monthly_revenue: 280.83,
        tier_breakdown: {
          professional: { count: 3, revenue: 147, paying: 3, trialing: 0 },
          starter: { count: 3, revenue_cents: 3483, paying: 2, trialing: 1 },
          enterprise: { count: 1, revenue: 99 },
        },
      });

      const tiers = await api.request('GET', '/api/v1/admin/subscriptions/analytics/revenue-by-tier', {
        token: admin,
      });
      expect(tiers.body.total_mrr_cents).toBe(28083);
      expect(tiers.body.tiers.map((t: { tier: string; arr_cents: number }) => [t.tier, t.arr_cents])).toEqual(
        [
          ['enterprise', 118800],
          ['professional', 176400],
          ['starter', 41800],
        ],
      );

      const overview = await api.request('GET', '/api/v1/admin/subscriptions/analytics/overview', {
        token: admin,
      });
      expect(overview.body).toMatchObject({
        total_subscriptions: 13,
        active_subscriptions: 6,
        trial_subscriptions: 1,
        past_due_subscriptions: 1,
        canceled_subscriptions: 3,
        pending_cancellations: 1,
        mrr_cents: 28083,
      });

      const euro = await api.request('GET', '/api/v1/admin/revenue?currency=eur', { token: admin });
      expect(euro.body).toMatchObject({ mrr_cents: 5000, active_subscriptions: 1 });
      // The book's currencies, for the console's currency selector, whichever one is asked for.
      expect(res.body.currencies).toEqual(['eur', 'usd']);
      expect(euro.body.currencies).toEqual(['eur', 'usd']);

      // Whichever of these changes fall in this month, no customer moves twice in it.
      await expectPeriodsToSumToThisMonth(api);
    }));

  it('nets refunds and credit notes out of the money collected, in a month and in the last 30 days, as worked out by hand', () =>
    withBook(async ({ api, book }) => {
      const now = new Date();
      // Four months back: the month, the one before and the one after end more than 56 days ago, so
      // nothing of the last 40 days falls in them.
      const m0 = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 4, 1));
      const m1 = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 3, 1));
      const month = m0.toISOString().slice(0, 7);
      const at = (days: number, hours = 12) => new Date(m0.getTime() + days * DAY + hours * 3_600_000);
      const ago = (days: number) => new Date(now.getTime() - days * DAY);
      const paid = (amountCents: number, paidAt: Date, currency = 'usd') => {
        const customer = book.customer();
        const invoice = book.invoice(customer, { amountCents, createdAt: paidAt, currency });
        const charge = book.charge(customer, { amountCents, createdAt: paidAt, invoice });
        charge.currency = currency;
        return { invoice, charge };
      };

      // The month: gross 21200, refunds 3200, credit notes 2000, net 16000 (discounts 500).
      const a = paid(4900, at(2)); // gross 4900
      book.refund(a.charge, { amountCents: 1500, createdAt: at(5) }); // refund 1500
      book.refund(a.charge, { amountCents: 400, createdAt: at(6), status: 'failed' }); // nothing
      const b = paid(9900, at(10)); // gross 9900
      book.creditNote(b.invoice, { amountCents: 2000, createdAt: at(12) }); // credit 2000
      // A credit note paid back as a refund counts once, as the refund.
      book.creditNote(b.invoice, { amountCents: 1000, refundedCents: 1000, createdAt: at(13) });
      book.refund(b.charge, { amountCents: 1000, createdAt: at(13) }); // refund 1000
      book.creditNote(b.invoice, { amountCents: 500, createdAt: at(14), status: 'void' }); // nothing
      const c = paid(1900, at(20)); // gross 1900
      // Before payment it only lowered what was collected.
      book.creditNote(c.invoice, { amountCents: 300, createdAt: at(18), type: 'pre_payment' });
      // Paid the month before, refunded in this one: the refund counts when it was made.
      const older = paid(4900, at(-10));
      book.refund(older.charge, { amountCents: 700, createdAt: at(25) }); // refund 700
      // The first instant of the next month belongs to the next month.
      book.refund(older.charge, { amountCents: 100, createdAt: m1 });
      // Discounted $5.00 and taxed $8.55 on top: $45.00 is revenue, the tax is not; the $5.00 is what
      // the discount cost.
      const taxed = book.customer();
      book.invoice(taxed, { amountCents: 4500, taxCents: 855, discountCents: 500, createdAt: at(7) });
      const euro = paid(5000, at(3), 'eur');
      book.refund(euro.charge, { amountCents: 5000, createdAt: at(4), currency: 'eur' });

      // The last 30 days: gross 5900, refunds 6000, credit notes 1000, net -1100.
      const e = paid(4900, ago(10)); // gross 4900
      book.refund(e.charge, { amountCents: 4900, createdAt: ago(2) }); // refund 4900
      const f = paid(2900, ago(40)); // paid before the window
      book.refund(f.charge, { amountCents: 900, createdAt: ago(5) }); // refund 900
      book.creditNote(f.invoice, { amountCents: 1000, createdAt: ago(6) }); // credit 1000
      const g = paid(1000, ago(1)); // gross 1000
      book.refund(g.charge, { amountCents: 200, createdAt: ago(1), status: 'pending' }); // refund 200
      book.refund(g.charge, { amountCents: 300, createdAt: ago(3), status: 'canceled' }); // nothing
      await book.flush();

      const res = await api.request('GET', `/api/v1/admin/revenue?month=${month}`, { token: admin });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        recent_revenue_30d_cents: 5900,
        refunds_30d_cents: 6000,
        refunds_30d: 60,
        credit_notes_30d_cents: 1000,
        credit_notes_30d: 10,
        net_revenue_30d_cents: -1100,
        net_revenue_30d: -11,
      });
      expect(res.body.collected).toEqual({
        month,
        from: m0.toISOString(),
        to: m1.toISOString(),
        gross: 212,
        gross_cents: 21200,
        refunds: 32,
        refunds_cents: 3200,
        credit_notes: 20,
        credit_notes_cents: 2000,
        net_revenue: 160,
        net_revenue_cents: 16000,
        discounts: 5,
        discounts_cents: 500,
      });
      const euroRes = await api.request('GET', `/api/v1/admin/revenue?month=${month}&currency=eur`, {
        token: admin,
      });
      expect(euroRes.body.collected).toMatchObject({
        gross_cents: 5000,
        refunds_cents: 5000,
        net_revenue_cents: 0,
      });

      const series = await api.request(
        'GET',
        `/api/v1/admin/revenue/timeseries?interval=month&from=${at(-1).toISOString().slice(0, 10)}&to=${m1
          .toISOString()
          .slice(0, 10)}`,
        { token: admin },
      );
      expect(series.status).toBe(200);
      const flows = (p: Record<string, unknown>) => [
        p.period,
        p.collected_cents,
        p.refunds_cents,
        p.credit_notes_cents,
        p.net_revenue_cents,
      ];
      expect(series.body.points.map(flows)).toEqual([
        [at(-1).toISOString().slice(0, 7), 4900, 0, 0, 4900],
        [month, 21200, 3200, 2000, 16000],
        [m1.toISOString().slice(0, 7), 0, 100, 0, -100],
      ]);
      const daily = await api.request(
        'GET',
        `/api/v1/admin/revenue/timeseries?interval=day&from=${month}-01&to=${at(6).toISOString().slice(0, 10)}`,
        { token: admin },
      );
      expect(daily.body.points.map(flows)).toEqual([
        [`${month}-01`, 0, 0, 0, 0],
        [at(1).toISOString().slice(0, 10), 0, 0, 0, 0],
        [at(2).toISOString().slice(0, 10), 4900, 0, 0, 4900],
        [at(3).toISOString().slice(0, 10), 0, 0, 0, 0],
        [at(4).toISOString().slice(0, 10), 0, 0, 0, 0],
        [at(5).toISOString().slice(0, 10), 0, 1500, 0, -1500],
        [at(6).toISOString().slice(0, 10), 0, 0, 0, 0],
      ]);
    }));

  it("splits a month's MRR change into new, expansion, contraction, churned and reactivated", () =>
    withBook(async ({ api, book }) => {
      const now = new Date();
      const m0 = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
      const month = m0.toISOString().slice(0, 7);
      const at = (days: number) => new Date(m0.getTime() + days * DAY);
      const monthly = (amountCents: number, createdAt: Date, more: { endedAt?: Date } = {}) => ({
        amountCents,
        createdAt,
        status: more.endedAt ? ('canceled' as const) : ('active' as const),
        endedAt: more.endedAt ?? null,
      });
      // Steady: 4900 all along.
      book.subscription(book.customer(), monthly(4900, at(-40)));
      // New: 1900 monthly, and a yearly 49000 (4083.33 a month).
      book.subscription(book.customer(), monthly(1900, at(5)));
      book.subscription(book.customer(), { ...monthly(49000, at(8)), interval: 'year' });
      // Churned: 9900 gone on day 10.
      book.subscription(book.customer(), monthly(9900, at(-60), { endedAt: at(10) }));
      // Reactivated: left before the month, back on day 12.
      const back = book.customer();
      book.subscription(back, monthly(4900, at(-100), { endedAt: at(-20) }));
      book.subscription(back, monthly(4900, at(12)));
      // Expansion: 1900 → 1900 + 4900 on day 3.
      const grows = book.customer();
      book.subscription(grows, monthly(1900, at(-50)));
      book.subscription(grows, monthly(4900, at(3)));
      // Contraction: 4900 + 1900 → 4900 on day 7.
      const shrinks = book.customer();
      book.subscription(shrinks, monthly(4900, at(-50)));
      book.subscription(shrinks, monthly(1900, at(-50), { endedAt: at(7) }));
      // A trial started in the month adds nothing.
      book.subscription(book.customer(), { ...monthly(1900, at(9)), status: 'trialing', trialEnd: at(40) });
      await book.flush();

      const res = await api.request('GET', `/api/v1/admin/revenue?month=${month}`, { token: admin });
      expect(res.status).toBe(200);
      // Start: (4900 + 9900 + 1900 + 6800) = 23500. End: (4900 + 1900 + 4900 + 6800 + 4900) + 49000 / 12.
      expect(res.body.movements).toMatchObject({
        month,
        starting_mrr_cents: 23500,
        ending_mrr_cents: 27483,
        new: { mrr_cents: 5983, customers: 2 },
        expansion: { mrr_cents: 4900, customers: 1 },
        contraction: { mrr_cents: 1900, customers: 1 },
        churned: { mrr_cents: 9900, customers: 1 },
        reactivated: { mrr_cents: 4900, customers: 1 },
        net_new_mrr_cents: 3983,
        // (282000 + 58800 - 22800 - 118800) / 282000, in annualised cents.
        net_revenue_retention: 0.7064,
      });
      expect(res.body.net_revenue_retention).toBe(0.7064);

      const monthlySeries = await api.request(
        'GET',
        `/api/v1/admin/revenue/timeseries?interval=month&from=${at(-1).toISOString().slice(0, 10)}&to=${month}-01`,
        { token: admin },
      );
      expect(monthlySeries.status).toBe(200);
      const [before, during] = monthlySeries.body.points;
      expect(before).toMatchObject({ mrr_cents: 23500, churned_subscriptions: 1 });
      expect(during).toMatchObject({
        period: month,
        mrr_cents: 27483,
        new_subscriptions: 4,
        churned_subscriptions: 2,
        churned_mrr_cents: 11800,
      });

      const daily = await api.request(
        'GET',
        `/api/v1/admin/revenue/timeseries?interval=day&from=${month}-01&to=${at(9).toISOString().slice(0, 10)}`,
        { token: admin },
      );
      const byDay = daily.body.points.map((p: { mrr_cents: number }) => p.mrr_cents);
      expect(byDay).toEqual([23500, 23500, 23500, 28400, 28400, 30300, 30300, 28400, 32483, 32483]);

      // Per period: the month as one period is the month above; by day each customer moves on its day.
      const last = new Date(Date.UTC(m0.getUTCFullYear(), m0.getUTCMonth() + 1, 0))
        .toISOString()
        .slice(0, 10);
      const moves = async (interval: string, from: string, to: string) => {
        const r = await api.request(
          'GET',
          `/api/v1/admin/revenue/movements?interval=${interval}&from=${from}&to=${to}`,
          { token: admin },
        );
        expect(r.status).toBe(200);
        return r.body.points as MovementPoint[];
      };
      const [asMonth] = await moves('month', `${month}-01`, last);
      const m = res.body.movements;
      expect(asMonth).toEqual({
        period: month,
        start: m.from,
        end: `${new Date(Date.UTC(m0.getUTCFullYear(), m0.getUTCMonth() + 1, 1)).toISOString()}`,
        starting_mrr_cents: m.starting_mrr_cents,
        ending_mrr_cents: m.ending_mrr_cents,
        net_new_mrr_cents: m.net_new_mrr_cents,
        ...Object.fromEntries(
          KINDS.map((k) => [k, { mrr_cents: m[k].mrr_cents, customers: m[k].customers }]),
        ),
      });
      const days = await moves('day', `${month}-01`, last);
      const moved = days
        .map((p) => [
          p.period,
          ...KINDS.flatMap((k) =>
            part(p, k).customers ? [`${k} ${part(p, k).mrr_cents} × ${part(p, k).customers}`] : [],
          ),
        ])
        .filter((row) => row.length > 1);
      const day = (n: number) => at(n).toISOString().slice(0, 10);
      expect(moved).toEqual([
        [day(3), 'expansion 4900 × 1'],
        [day(5), 'new 1900 × 1'],
        [day(7), 'contraction 1900 × 1'],
        [day(8), 'new 4083 × 1'],
        [day(10), 'churned 9900 × 1'],
        [day(12), 'reactivated 4900 × 1'],
      ]);
      expect(days[0]).toMatchObject({ period: `${month}-01`, starting_mrr_cents: 23500 });
      expect(days[days.length - 1]).toMatchObject({ period: last, ending_mrr_cents: 27483 });
      expect(days[8]).toMatchObject({
        starting_mrr_cents: 28400,
        ending_mrr_cents: 32483,
        net_new_mrr_cents: 4083,
      });
    }));

  it("gives this month's movements per day and per month that add up to the month's figures", () =>
    withBook(async ({ api, book }) => {
      const now = Date.now();
      const monthStart = new Date(Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), 1));
      // Tenths of the way from the month's first instant to now, so every change is in the month so far.
      const at = (tenths: number) =>
        new Date(monthStart.getTime() + Math.floor(((now - monthStart.getTime()) * tenths) / 10));
      const before = (days: number) => new Date(monthStart.getTime() - days * DAY);
      const monthly = (
        amountCents: number,
        createdAt: Date,
        more: { endedAt?: Date; tier?: string } = {},
      ) => ({
        tier: more.tier,
        amountCents,
        createdAt,
        status: more.endedAt ? ('canceled' as const) : ('active' as const),
        endedAt: more.endedAt ?? null,
      });
      // Steady: 4900 all along.
      book.subscription(book.customer(), monthly(4900, before(40)));
      // New: 1900 monthly, and a yearly 49000.
      book.subscription(book.customer(), monthly(1900, at(1)));
      book.subscription(book.customer(), { ...monthly(49000, at(2)), interval: 'year' });
      // Churned: 9900 gone.
      book.subscription(book.customer(), monthly(9900, before(60), { endedAt: at(3) }));
      // Reactivated: left the month before, back in this one.
      const back = book.customer();
      book.subscription(back, monthly(4900, before(100), { endedAt: before(20) }));
      book.subscription(back, monthly(4900, at(4)));
      // Expansion by a second subscription, and by an upgrade of one.
      const grows = book.customer();
      book.subscription(grows, monthly(1900, before(50)));
      book.subscription(grows, monthly(4900, at(5)));
      const up = book.subscription(book.customer(), monthly(1900, before(50), { tier: 'starter' }));
      book.change(up, { at: at(6), tier: 'professional', amountCents: 4900 });
      // Contraction by a subscription ending, and by a downgrade.
      const shrinks = book.customer();
      book.subscription(shrinks, monthly(4900, before(50)));
      book.subscription(shrinks, monthly(1900, before(50), { endedAt: at(7) }));
      const down = book.subscription(book.customer(), monthly(9900, before(50), { tier: 'enterprise' }));
      book.change(down, { at: at(8), tier: 'starter', amountCents: 1900 });
      // A trial adds nothing; another currency is not in these figures.
      book.subscription(book.customer(), { ...monthly(1900, at(9)), status: 'trialing', trialEnd: at(10) });
      book.subscription(book.customer(), { ...monthly(5000, at(3)), currency: 'eur' });
      await book.flush();

      const { month } = await expectPeriodsToSumToThisMonth(api);
      // Start: 4900 + 9900 + 1900 + 1900 + 6800 + 9900 = 35300. End: 4900 + 1900 + 4083.33 + 4900 + 6800
      // + 4900 + 4900 + 1900 = 34283.33.
      expect(month).toMatchObject({
        starting_mrr_cents: 35300,
        ending_mrr_cents: 34283,
        new: { mrr_cents: 5983, customers: 2 },
        expansion: { mrr_cents: 7900, customers: 2 },
        contraction: { mrr_cents: 9900, customers: 2 },
        churned: { mrr_cents: 9900, customers: 1 },
        reactivated: { mrr_cents: 4900, customers: 1 },
        net_new_mrr_cents: -1017,
      });
    }));

  it('counts an upgrade of a subscription as expansion and a downgrade as contraction, at the old price before', () =>
    withBook(async ({ api, book }) => {
      const now = new Date();
      const m0 = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
      const month = m0.toISOString().slice(0, 7);
      const at = (days: number) => new Date(m0.getTime() + days * DAY);
      const active = (tier: string, amountCents: number) => ({
        tier,
        amountCents,
        status: 'active' as const,
        createdAt: at(-40),
      });
      // Upgraded on day 4: starter 1900 → professional 4900.
      const up = book.subscription(book.customer(), active('starter', 1900));
      book.change(up, { at: at(4), tier: 'professional', amountCents: 4900 });
      // Downgraded on day 6: enterprise 9900 → starter 1900.
      const down = book.subscription(book.customer(), active('enterprise', 9900));
      book.change(down, { at: at(6), tier: 'starter', amountCents: 1900 });
      // Paused on day 8, resumed on day 15: the same MRR at both ends of the month, so no movement.
      const pauses = book.subscription(book.customer(), active('professional', 4900));
      book.change(pauses, { at: at(8), status: 'paused' });
      book.change(pauses, { at: at(15), status: 'active' });
      await book.flush();

      const res = await api.request('GET', `/api/v1/admin/revenue?month=${month}`, { token: admin });
      expect(res.status).toBe(200);
      // Start: 1900 + 9900 + 4900 = 16700 (the prices then, not now). End: 4900 + 1900 + 4900 = 11700.
      expect(res.body.movements).toMatchObject({
        starting_mrr_cents: 16700,
        ending_mrr_cents: 11700,
        new: { mrr_cents: 0, customers: 0 },
        expansion: { mrr_cents: 3000, customers: 1 },
        contraction: { mrr_cents: 8000, customers: 1 },
        churned: { mrr_cents: 0, customers: 0 },
        reactivated: { mrr_cents: 0, customers: 0 },
        net_new_mrr_cents: -5000,
        // (200400 + 36000 - 96000) / 200400, in annualised cents.
        net_revenue_retention: 0.7006,
      });

      const daily = await api.request(
        'GET',
        `/api/v1/admin/revenue/timeseries?interval=day&from=${month}-01&to=${at(16).toISOString().slice(0, 10)}`,
        { token: admin },
      );
      expect(daily.status).toBe(200);
      const points = daily.body.points as {
        mrr_cents: number;
        active_subscriptions: number;
        new_subscriptions: number;
        churned_subscriptions: number;
        churned_mrr_cents: number;
      }[];
      expect(points.map((p) => p.mrr_cents)).toEqual([
        16700, 16700, 16700, 16700, 19700, 19700, 11700, 11700, 6800, 6800, 6800, 6800, 6800, 6800, 6800,
        11700, 11700,
      ]);
      expect(points[8]).toMatchObject({
        active_subscriptions: 2,
        churned_subscriptions: 1,
        churned_mrr_cents: 4900,
      });
      expect(points[15]).toMatchObject({
        active_subscriptions: 3,
        new_subscriptions: 1,
        churned_subscriptions: 0,
      });
      expect(points[4]).toMatchObject({
        active_subscriptions: 3,
        new_subscriptions: 0,
        churned_subscriptions: 0,
      });

      // By day, the pause is churn on its day and the resume a reactivation on its own; the month as a
      // whole saw neither (above).
      const byDay = await api.request(
        'GET',
        `/api/v1/admin/revenue/movements?interval=day&from=${month}-01&to=${at(16).toISOString().slice(0, 10)}`,
        { token: admin },
      );
      expect(byDay.status).toBe(200);
      const moves = (byDay.body.points as MovementPoint[]).map((p) => KINDS.map((k) => part(p, k).mrr_cents));
      // new, expansion, contraction, churned, reactivated
      expect(moves[4]).toEqual([0, 3000, 0, 0, 0]);
      expect(moves[6]).toEqual([0, 0, 8000, 0, 0]);
      expect(moves[8]).toEqual([0, 0, 0, 4900, 0]);
      expect(moves[15]).toEqual([0, 0, 0, 0, 4900]);
      expect(moves.filter((m) => m.some((v) => v !== 0))).toHaveLength(4);
    }));
});
