import pino from 'pino';
import { Customer, Plan, Subscription } from '../../../db/entities';
import { newId } from '../../../db/ids';
import { fixedClock } from '../../../domain/clock';
import type { CoreDeps } from '../../../services/deps';
import { previewAdminPlanChange } from '../../../services/subscriptions/change-as-admin';
import { openTestDatabase } from '../../helpers/db';

const DAY = 86_400_000;
// Years ahead of the system's time: only a clock that is honoured puts "now" inside this period.
const PERIOD_START = new Date('2040-03-01T00:00:00.000Z');
const PERIOD_END = new Date(PERIOD_START.getTime() + 30 * DAY);

describe('a plan change preview prorates from the deps clock’s time', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  const email = 'prorate-clock@example.com';

  beforeAll(async () => {
    db = await openTestDatabase('sqlite');
    const em = db.orm.em.fork();
    const plan = (code: string, cents: number) =>
      em.create(Plan, {
        id: `plan_${code}_v1`,
        code,
        name: code,
        displayName: code,
        priceMonthlyCents: cents,
        stripePriceMonthlyId: `price_${code}_monthly`,
      });
    const basic = plan('clk-basic', 1_000);
    plan('clk-pro', 4_000);
    const customer = em.create(Customer, {
      id: newId('cust'),
      userId: 'kc-prorate-clock',
      email,
      stripeCustomerId: 'cus_prorate_clock',
    });
    em.create(Subscription, {
      id: newId('subs'),
      customer,
      plan: basic,
      tier: 'clk-basic',
      status: 'active',
      interval: 'month',
      amountCents: 1_000,
      currency: 'usd',
      stripeSubscriptionId: 'sub_prorate_clock',
      createdAt: PERIOD_START,
      currentPeriodStart: PERIOD_START,
      currentPeriodEnd: PERIOD_END,
    });
    await em.flush();
  });
  afterAll(() => db.close());

  const depsAt = (at?: Date) =>
    ({
      orm: db.orm,
      logger: pino({ level: 'silent' }),
      ...(at ? { clock: fixedClock(at) } : {}),
    }) as unknown as CoreDeps;
  const upgradeNow = (deps: CoreDeps) =>
    previewAdminPlanChange(deps, email, { tierId: 'clk-pro', billingCycle: 'monthly', when: 'now' });

  it('an upgrade from $10 to $40 ten days into a 30-day period credits 20/30 of $10 and charges 20/30 of $40', async () => {
    const p = await upgradeNow(depsAt(new Date(PERIOD_START.getTime() + 10 * DAY)));
    // 1000 × 20/30 = 666.67 → 667 credited; 4000 × 20/30 = 2666.67 → 2667 charged; each line rounded alone.
    expect(p).toMatchObject({
      when: 'now',
      tier: 'clk-pro',
      creditCents: -667,
      chargeCents: 2_667,
      discountCents: 0,
      dueNowCents: 2_000,
      nextAmountCents: 4_000,
    });
  });

  it('the same preview on the system’s clock (years before the period) prorates the whole period', async () => {
    expect(await upgradeNow(depsAt())).toMatchObject({
      creditCents: -1_000,
      chargeCents: 4_000,
      dueNowCents: 3_000,
    });
  });
});
