import { Customer, Plan, Subscription } from '../../db/entities';
import { newId } from '../../db/ids';
import type { Dialect } from '../../db/orm';
import { insertSubscriptionRow } from '../../db/subscription-records';
import { openTestDatabase } from '../helpers/db';

describe.each<Dialect>(['sqlite', 'postgresql'])(
  'a subscription row made in one statement on %s',
  (dialect) => {
    let db: Awaited<ReturnType<typeof openTestDatabase>>;
    beforeAll(async () => {
      db = await openTestDatabase(dialect);
    });
    afterAll(() => db?.close());

    /** A plan billed in euros and a customer of it, each new. */
    async function planAndCustomer() {
      const em = db.orm.em.fork();
      const code = `rec-${newId('p').slice(-8)}`;
      const plan = em.create(Plan, {
        id: `plan_${code}_v1`,
        code,
        name: code,
        displayName: code,
        priceMonthlyCents: 2_500,
        currency: 'eur',
      });
      const customer = em.create(Customer, {
        id: newId('cust'),
        userId: `kc-${code}`,
        email: `${code}@example.com`,
      });
      await em.flush();
      return { planId: plan.id, customerId: customer.id, code };
    }

    it('makes the row the entity would, its tier and currency from its plan, and reads it back whole', async () => {
      const { planId, customerId, code } = await planAndCustomer();
      const id = newId('subs');
      const before = Date.now();
      const made = await insertSubscriptionRow(db.orm.em.fork(), {
        id,
        customerId,
        planId,
        interval: 'month',
        amountCents: 2_500,
        billingAnchor: 'calendar',
      });
      const after = Date.now();
      expect(made).toBe('made');
      const row = await db.orm.em.fork().findOneOrFail(Subscription, id);
      expect({
        customer: row.customer.id,
        plan: row.plan.id,
        tier: row.tier,
        status: row.status,
        interval: row.interval,
        amountCents: row.amountCents,
        currency: row.currency,
        cancelAtPeriodEnd: row.cancelAtPeriodEnd,
        awaitingCard: row.awaitingCard,
        billingAnchor: row.billingAnchor,
        seats: row.seats,
        arrCents: row.arrCents,
        // Stamped as the entity stamped it: when it was made.
        stampedWhenMade:
          row.createdAt.getTime() >= before - 1 &&
          row.createdAt.getTime() <= after + 1 &&
          row.updatedAt.getTime() === row.createdAt.getTime(),
      }).toEqual({
        customer: customerId,
        plan: planId,
        tier: code,
        status: 'incomplete',
        interval: 'month',
        amountCents: 2_500,
        currency: 'eur',
        cancelAtPeriodEnd: false,
        awaitingCard: false,
        billingAnchor: 'calendar',
        seats: 1,
        arrCents: 0,
        stampedWhenMade: true,
      });
    });

    it("takes the currency it is given over its plan's, and answers a retried step with the row left as made", async () => {
      const { planId, customerId } = await planAndCustomer();
      const id = newId('subs');
      const first = { id, customerId, planId, interval: 'year' as const, amountCents: 9_000 };
      expect(
        await insertSubscriptionRow(db.orm.em.fork(), {
          ...first,
          currency: 'usd',
          billingAnchor: 'anniversary',
        }),
      ).toBe('made');
      const made = await db.orm.em.fork().findOneOrFail(Subscription, id);
      expect(
        await insertSubscriptionRow(db.orm.em.fork(), {
          ...first,
          amountCents: 1,
          currency: 'gbp',
          billingAnchor: 'calendar',
        }),
      ).toBe('exists');
      const row = await db.orm.em.fork().findOneOrFail(Subscription, id);
      expect([
        row.currency,
        row.amountCents,
        row.billingAnchor,
        row.interval,
        row.createdAt.toISOString(),
      ]).toEqual(['usd', 9_000, 'anniversary', 'year', made.createdAt.toISOString()]);
    });

    it('makes nothing and says so when its plan or its customer is not there', async () => {
      const { planId, customerId } = await planAndCustomer();
      const base = { interval: 'month' as const, amountCents: 100, billingAnchor: 'anniversary' as const };
      const noPlan = newId('subs');
      const noCustomer = newId('subs');
      expect(
        await insertSubscriptionRow(db.orm.em.fork(), {
          ...base,
          id: noPlan,
          customerId,
          planId: 'plan_none_v1',
        }),
      ).toBe('missing');
      expect(
        await insertSubscriptionRow(db.orm.em.fork(), {
          ...base,
          id: noCustomer,
          customerId: 'cust_none',
          planId,
        }),
      ).toBe('missing');
      expect(await db.orm.em.fork().count(Subscription, { id: { $in: [noPlan, noCustomer] } })).toBe(0);
    });
  },
);
