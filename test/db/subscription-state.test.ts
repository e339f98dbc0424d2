import { BillingEvent, Customer, Plan, Subscription, SubscriptionChange } from '../../db/entities';
import { newId } from '../../db/ids';
import type { Dialect } from '../../db/orm';
import { sqlFor } from '../../db/raw-sql';
import { loadSubscriptionState, writeSubscriptionState } from '../../db/subscription-state';
import { changedFields, settled, withSnapshot } from '../../domain/subscription-state';
import type { SubscriptionSnapshot } from '../../domain/stripe-snapshots';
import { openTestDatabase } from '../helpers/db';
import { recordPgMessages } from '../helpers/pg-messages';

describe.each<Dialect>(['sqlite', 'postgresql'])("a subscription's recorded state on %s", (dialect) => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    db = await openTestDatabase(dialect);
  });
  afterAll(() => db?.close());

  /** A customer without a currency yet, on a plan of their own, with a subscription still in checkout. */
  async function inCheckout() {
    const em = db.orm.em.fork();
    const code = `st-${newId('p').slice(-8)}`;
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
    const sub = em.create(Subscription, {
      id: newId('subs'),
      customer,
      plan,
      tier: code,
      currency: 'eur',
      amountCents: 2_500,
      createdAt: new Date('2026-01-01T00:00:00Z'),
      updatedAt: new Date('2026-01-01T00:00:00Z'),
    });
    await em.flush();
    return { subscriptionId: sub.id, customerId: customer.id, planId: plan.id, code };
  }

  const snapshot = (over: Partial<SubscriptionSnapshot> = {}): SubscriptionSnapshot => ({
    stripeSubscriptionId: `sub_${newId('x')}`,
    stripeCustomerId: 'cus_x',
    status: 'active',
    pausedCollection: false,
    priceId: 'price_x',
    itemId: 'si_x',
    usageItemId: null,
    amountCents: 2_500,
    quantity: 3,
    interval: 'month',
    currentPeriodStart: '2026-02-01T00:00:00.000Z',
    currentPeriodEnd: '2026-03-01T00:00:00.000Z',
    trialEnd: null,
    cancelAtPeriodEnd: true,
    canceledAt: null,
    hasPaymentMethod: true,
    discount: {
      stripeCouponId: 'LAUNCH',
      stripePromotionCodeId: null,
      start: '2026-02-01T00:00:00.000Z',
      end: null,
    },
    ...over,
  });

  it('reads back every field it writes, as the entity has them, and leaves what it did not change alone', async () => {
    const { subscriptionId, customerId } = await inCheckout();
    const at = new Date('2026-02-01T00:00:05Z');
    const loaded = (await loadSubscriptionState(db.orm.em.fork(), subscriptionId))!;
    expect(loaded.customerCurrency).toBeNull();
    const row = settled(withSnapshot(loaded.row, snapshot(), 'active'), at);
    await writeSubscriptionState(db.orm.em.fork(), {
      row,
      fields: changedFields(loaded.row, row),
      customerCurrency: true,
      change: { id: newId('sch'), before: { ...loaded.row, netAmountCents: 2_500 } },
      events: [
        {
          customerId,
          type: 'subscription.created',
          payload: { a: "it's; ?" },
          dedupeKey: `k:${subscriptionId}`,
        },
      ],
      at,
    });
    const again = (await loadSubscriptionState(db.orm.em.fork(), subscriptionId))!;
    expect(again.row).toEqual(row);
    expect(again.customerCurrency).toBe('eur');
    const entity = await db.orm.em.fork().findOneOrFail(Subscription, subscriptionId);
    expect({
      seats: entity.seats,
      cancelAtPeriodEnd: entity.cancelAtPeriodEnd,
      periodEnd: entity.currentPeriodEnd?.toISOString(),
      discount: entity.discount,
      arrCents: entity.arrCents,
      updatedAt: entity.updatedAt.toISOString(),
      createdAt: entity.createdAt.toISOString(),
    }).toEqual({
      seats: 3,
      cancelAtPeriodEnd: true,
      periodEnd: '2026-03-01T00:00:00.000Z',
      discount: { couponId: 'LAUNCH', promotionCodeId: null, start: '2026-02-01T00:00:00.000Z', end: null },
      arrCents: 30_000,
      updatedAt: at.toISOString(),
      createdAt: '2026-01-01T00:00:00.000Z',
    });
    const changes = await db.orm.em.fork().find(SubscriptionChange, { subscription: subscriptionId });
    expect(
      changes.map((c) => [c.oldStatus, c.newStatus, c.oldAmountCents, c.newAmountCents, c.currency]),
    ).toEqual([['incomplete', 'active', 2_500, 2_500, 'eur']]);
    const events = await db.orm.em.fork().find(BillingEvent, { customerId });
    expect(events.map((e) => [e.type, e.payload])).toEqual([['subscription.created', { a: "it's; ?" }]]);
  });

  it('writes nothing for a state the row already holds, so its updated_at stays', async () => {
    const { subscriptionId } = await inCheckout();
    const first = new Date('2026-02-01T00:00:05Z');
    const loaded = (await loadSubscriptionState(db.orm.em.fork(), subscriptionId))!;
    const snap = snapshot();
    const row = settled(withSnapshot(loaded.row, snap, 'active'), first);
    const write = { customerCurrency: false, change: null, events: [] };
    await writeSubscriptionState(db.orm.em.fork(), {
      ...write,
      row,
      fields: changedFields(loaded.row, row),
      at: first,
    });
    // The same read again: its discount comes back from the database in whatever key order it keeps.
    const stored = (await loadSubscriptionState(db.orm.em.fork(), subscriptionId))!.row;
    const same = settled(withSnapshot(stored, snap, 'active'), new Date('2026-02-02T00:00:00Z'));
    expect(changedFields(stored, same)).toEqual([]);
    const entity = await db.orm.em.fork().findOneOrFail(Subscription, subscriptionId);
    expect(entity.updatedAt.toISOString()).toBe(first.toISOString());
  });

  it("sets a customer's currency only when they have none", async () => {
    const { subscriptionId, customerId } = await inCheckout();
    await sqlFor(db.orm.em.fork()).run('update customers set currency = ? where id = ?', ['usd', customerId]);
    const loaded = (await loadSubscriptionState(db.orm.em.fork(), subscriptionId))!;
    expect(loaded.customerCurrency).toBe('usd');
    const at = new Date('2026-02-01T00:00:05Z');
    const row = settled(withSnapshot(loaded.row, null, 'active'), at);
    await writeSubscriptionState(db.orm.em.fork(), {
      row,
      fields: changedFields(loaded.row, row),
      customerCurrency: true,
      change: null,
      events: [],
      at,
    });
    const customer = await db.orm.em.fork().findOneOrFail(Customer, customerId);
    expect(customer.currency).toBe('usd');
  });

  if (dialect === 'postgresql')
    it('writes a state, its change and its events in one message, BEGIN and COMMIT riding along', async () => {
      const { subscriptionId, customerId } = await inCheckout();
      const loaded = (await loadSubscriptionState(db.orm.em.fork(), subscriptionId))!;
      const at = new Date('2026-02-01T00:00:05Z');
      const row = settled(withSnapshot(loaded.row, snapshot(), 'active'), at);
      const recorder = recordPgMessages(db.orm);
      try {
        await writeSubscriptionState(db.orm.em.fork(), {
          row,
          fields: changedFields(loaded.row, row),
          customerCurrency: true,
          change: { id: newId('sch'), before: { ...loaded.row, netAmountCents: 2_500 } },
          events: [
            { customerId, type: 'subscription.created', payload: {}, dedupeKey: `a:${subscriptionId}` },
            { customerId, type: 'access.changed', payload: {}, dedupeKey: `b:${subscriptionId}` },
          ],
          at,
        });
      } finally {
        recorder.restore();
      }
      expect(recorder.messages).toHaveLength(1);
      expect(recorder.messages[0]).toMatch(
        /^begin;\nupdate subscriptions .*;\nupdate customers .*;\ninsert into subscription_changes .*;\ninsert into billing_events .*;\ninsert into billing_events .*;\ncommit$/s,
      );
    });
});
