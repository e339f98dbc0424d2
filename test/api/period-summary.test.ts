import type { EntityManager } from '@mikro-orm/core';
import type { Customer } from '../../db/entities';
import { newId } from '../../db/ids';
import { sqlFor } from '../../db/raw-sql';
import { addToDailyUsage, insertNewUsageEvents } from '../../db/usage-ledger';
import { billingApiOn, bookWriter, DAY } from '../helpers/book';

const HOUR = 3_600_000;
const day = (at: Date) => at.toISOString().slice(0, 10);

/** Stores events as a report would (the ledger and the daily counters), at any time, even before a period. */
async function stored(
  em: EntityManager,
  customer: Customer,
  events: { type: string; quantity: number; at: Date; byok?: boolean }[],
): Promise<void> {
  const sql = sqlFor(em);
  await insertNewUsageEvents(
    sql,
    events.map((e) => ({
      id: newId('uev'),
      customerId: customer.id,
      eventId: newId('e'),
      reporter: 'self',
      type: e.type,
      quantity: e.quantity,
      occurredAt: e.at,
      receivedAt: e.at,
      metadata: {},
      byok: e.byok ?? false,
      rollupId: null,
    })),
    {},
  );
  // One row at a time: PostgreSQL's upsert may not touch a counter twice in one statement.
  for (const e of events)
    await addToDailyUsage(sql, [
      {
        customerId: customer.id,
        day: day(e.at),
        type: e.type,
        counted: e.byok ? 0 : e.quantity,
        byok: e.byok ? e.quantity : 0,
      },
    ]);
}

/**
 * GET /billing/period_summary: the dashboard's daily chart and next-invoice estimate, computed by the
 * engine from the caller's own usage and subscription only.
 */
describe.each(['sqlite', 'postgresql'] as const)('the billing period summary on %s', (dialect) => {
  const setup = billingApiOn(dialect);
  const tokenOf = (name: string) => setup.idp.token({ sub: `user-${name}`, email: `${name}@example.com` });
  const summaryOf = async (name: string) =>
    (await setup.api.request('GET', '/api/v1/billing/period_summary', { token: await tokenOf(name) })).body;

  // The period started at 14:00 three days ago, so its first day holds units from before it began.
  const todayMidnight = new Date(Math.floor(Date.now() / DAY) * DAY);
  const start = new Date(todayMidnight.getTime() - 3 * DAY + 14 * HOUR);

  async function subscriber(name: string) {
    const em = setup.db.orm.em.fork();
    const book = bookWriter(em);
    const customer = book.customer({ userId: `user-${name}`, email: `${name}@example.com` });
    const sub = book.subscription(customer, { amountCents: 4900, status: 'active', createdAt: start });
    await book.flush();
    return { em, customer, sub };
  }

  it('counts each day of the period from its start, BYOK units too, and never another customer’s', async () => {
    const me = await subscriber('dora');
    const other = await subscriber('mallory');
    await stored(me.em, me.customer, [
      { type: 'inference', quantity: 1000, at: new Date(start.getTime() - HOUR) },
      { type: 'inference', quantity: 2373, at: new Date(start.getTime() + HOUR) },
      { type: 'embedding', quantity: 120, at: new Date(start.getTime() + DAY) },
      { type: 'inference', quantity: 50, at: new Date(start.getTime() + DAY), byok: true },
      { type: 'inference', quantity: 7, at: todayMidnight },
    ]);
    await stored(other.em, other.customer, [
      { type: 'inference', quantity: 99_999, at: new Date(start.getTime() + HOUR) },
      { type: 'tts', quantity: 5_555, at: todayMidnight },
    ]);

    const body = await summaryOf('dora');
    expect(body.period_start).toBe(start.toISOString());
    const days = body.daily_usage as { day: string; units: Record<string, number> | null }[];
    // 30 days from 14:00 end at 14:00 on the 31st day.
    expect(days).toHaveLength(31);
    expect(days.slice(0, 4)).toEqual([
      { day: day(start), units: { embedding: 0, inference: 2373 } },
      { day: day(new Date(start.getTime() + DAY)), units: { embedding: 120, inference: 50 } },
      { day: day(new Date(start.getTime() + 2 * DAY)), units: { embedding: 0, inference: 0 } },
      { day: day(todayMidnight), units: { embedding: 0, inference: 7 } },
    ]);
    expect(days.slice(4).every((d) => d.units === null)).toBe(true);
    expect(JSON.stringify(body)).not.toMatch(/99999|5555|tts/);
    // The days add up to the period's units the usage view shows.
    const usage = (await setup.api.request('GET', '/api/v1/billing/usage', { token: await tokenOf('dora') }))
      .body;
    expect(usage.usage.month).toMatchObject({ inference: 2380, embedding: 120 });
    expect(usage.usage.byok_month).toMatchObject({ inference: 50 });

    const theirs = await summaryOf('mallory');
    expect(theirs.daily_usage[0].units).toEqual({ inference: 99_999, tts: 0 });
    expect(JSON.stringify(theirs)).not.toMatch(/2373|embedding/);
  });

  it('estimates the next invoice as the plan and the usage so far, less the coupon on each line', async () => {
    const me = await subscriber('percy');
    me.sub.discount = {
      couponId: 'launch20',
      promotionCodeId: null,
      start: start.toISOString(),
      end: null,
      percentOffBp: 2000,
      amountOffCents: null,
      name: 'Launch',
    };
    await me.em.flush();
    // 2,500 credits used of 500 included: 2,000 over at $2.00 per 1,000 is $4.00.
    await stored(me.em, me.customer, [
      { type: 'inference', quantity: 2500, at: new Date(start.getTime() + HOUR) },
    ]);

    const body = await summaryOf('percy');
    expect(body.next_invoice).toEqual({
      date: me.sub.currentPeriodEnd?.toISOString(),
      currency: 'usd',
      plan: 49,
      plan_cents: 4900,
      usage: 4,
      usage_cents: 400,
      // 20 % of $49.00 and of $4.00.
      discount: 10.6,
      discount_cents: 1060,
      coupon: { id: 'launch20', name: 'Launch' },
      total: 42.4,
      total_cents: 4240,
    });
  });

  it('prices a scheduled change at its new price, and an amount off only while its coupon lasts', async () => {
    const me = await subscriber('sam');
    const changeAt = me.sub.currentPeriodEnd as Date;
    Object.assign(me.sub, {
      pendingTier: 'starter',
      pendingInterval: 'month',
      pendingAmountCents: 1900,
      pendingEffectiveAt: changeAt,
      discount: {
        couponId: 'fiver',
        promotionCodeId: null,
        start: start.toISOString(),
        // Ends the moment the change starts: that invoice is no longer discounted.
        end: changeAt.toISOString(),
        percentOffBp: null,
        amountOffCents: 500,
        name: null,
      },
    });
    await me.em.flush();
    expect((await summaryOf('sam')).next_invoice).toMatchObject({
      date: changeAt.toISOString(),
      plan_cents: 1900,
      usage_cents: 0,
      discount_cents: 0,
      coupon: null,
      total_cents: 1900,
    });

    me.sub.discount = { ...me.sub.discount!, end: new Date(changeAt.getTime() + DAY).toISOString() };
    await me.em.flush();
    expect((await summaryOf('sam')).next_invoice).toMatchObject({
      discount_cents: 500,
      coupon: { id: 'fiver', name: null },
      total_cents: 1400,
    });
  });

  it('has no next invoice for a plan that ends at the period end, nor for a caller without a plan', async () => {
    const me = await subscriber('carl');
    me.sub.cancelAtPeriodEnd = true;
    await me.em.flush();
    expect((await summaryOf('carl')).next_invoice).toBeNull();

    const book = bookWriter(setup.db.orm.em.fork());
    book.customer({ userId: 'user-nina', email: 'nina@example.com' });
    await book.flush();
    const none = await summaryOf('nina');
    expect(none.next_invoice).toBeNull();
    // Without a plan the period is the calendar month.
    expect(none.period_start.slice(8)).toBe('01T00:00:00.000Z');
    expect(none.daily_usage[0].units).toEqual({});
  });

  it('refuses a caller without a token, and a token from anyone but the identity provider', async () => {
    expect((await setup.api.raw('/api/v1/billing/period_summary')).status).toBe(401);
    expect((await setup.api.raw('/api/v1/billing/period_summary', 'not-a-token')).status).toBe(401);
  });
});
