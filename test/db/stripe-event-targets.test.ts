import { Customer, Plan, Subscription } from '../../db/entities';
import { newId } from '../../db/ids';
import type { Dialect } from '../../db/orm';
import {
  customerIdOfStripe,
  customerOfStripe,
  liveSubscriptionsOfStripeCustomer,
  subscriptionIdOfStripe,
  subscriptionStatusOf,
} from '../../db/stripe-event-targets';
import type { SubscriptionStatus } from '../../domain/subscription-status';
import { openTestDatabase } from '../helpers/db';

describe.each<Dialect>(['sqlite', 'postgresql'])('whom a Stripe event concerns, read on %s', (dialect) => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    db = await openTestDatabase(dialect);
  });
  afterAll(() => db?.close());

  /** A customer linked to a Stripe customer, with a subscription in each of these statuses. */
  async function customerWith(statuses: SubscriptionStatus[]) {
    const em = db.orm.em.fork();
    const code = `tgt-${newId('p').slice(-8)}`;
    const plan = em.create(Plan, {
      id: `plan_${code}_v1`,
      code,
      name: code,
      displayName: code,
      priceMonthlyCents: 2_500,
    });
    const customer = em.create(Customer, {
      id: newId('cust'),
      userId: `kc-${code}`,
      email: `${code}@example.com`,
      stripeCustomerId: `cus_${code}`,
    });
    const subs = statuses.map((status, i) =>
      em.create(Subscription, {
        id: newId('subs'),
        customer,
        plan,
        tier: code,
        status,
        amountCents: 2_500,
        // One still in checkout has no Stripe subscription yet.
        stripeSubscriptionId: status === 'incomplete' ? null : `sub_${code}_${i}`,
      }),
    );
    await em.flush();
    return { customer, subs, code };
  }

  it("reads a customer's live subscriptions, none that ended and none of another customer", async () => {
    const mine = await customerWith(['active', 'canceled', 'past_due', 'expired', 'incomplete']);
    const theirs = await customerWith(['active']);
    const live = await liveSubscriptionsOfStripeCustomer(db.orm.em.fork(), `cus_${mine.code}`);
    const expected = [mine.subs[0]!, mine.subs[2]!, mine.subs[4]!]
      .map((s) => ({ subscriptionId: s.id, stripeSubscriptionId: s.stripeSubscriptionId ?? null }))
      .sort((a, b) => (a.subscriptionId < b.subscriptionId ? -1 : 1));
    expect(live).toEqual(expected);
    expect(live.map((s) => s.subscriptionId)).not.toContain(theirs.subs[0]!.id);
    for (const nobody of ['cus_nobody', `cus_${mine.code}\u0000`, '%'])
      expect(await liveSubscriptionsOfStripeCustomer(db.orm.em.fork(), nobody)).toEqual([]);
  });

  it("finds our ids for Stripe's, and a subscription's status, and null for what the mirror does not have", async () => {
    const { customer, subs, code } = await customerWith(['trialing', 'canceled']);
    const em = db.orm.em.fork();
    expect(await subscriptionIdOfStripe(em, `sub_${code}_0`)).toBe(subs[0]!.id);
    expect(await subscriptionIdOfStripe(em, `sub_${code}_1`)).toBe(subs[1]!.id);
    expect(await customerIdOfStripe(em, `cus_${code}`)).toBe(customer.id);
    expect(await customerOfStripe(em, `cus_${code}`)).toEqual({ id: customer.id, email: customer.email });
    expect(await subscriptionStatusOf(em, subs[0]!.id)).toBe('trialing');
    expect(await subscriptionStatusOf(em, subs[1]!.id)).toBe('canceled');
    // Ids a careless or hostile sender could put in an event: quotes, placeholders, wildcards, NUL, and each
    // kind of stored id with a control character or a lone surrogate (the driver sends it as U+FFFD) beside it.
    const near = (stored: string) => [
      `${stored}\u0001`,
      `${stored}\u001b[0m`,
      `${stored}\ud800`,
      `\udc00${stored}`,
      `${stored}\u200b`,
    ];
    for (const id of [
      ...near(`sub_${code}_0`),
      ...near(`cus_${code}`),
      ...near(subs[0]!.id),
      "sub_' or '1'='1",
      '?',
      '$1',
      '%',
      `sub_${code}_%`,
      'a\u0000b',
      '',
    ])
      expect([
        await subscriptionIdOfStripe(em, id),
        await customerIdOfStripe(em, id),
        await customerOfStripe(em, id),
        await subscriptionStatusOf(em, id),
      ]).toEqual([null, null, null, null]);
  });
});
