import type { EntityManager, MikroORM } from '@mikro-orm/core';
import { Customer, Plan, Subscription } from '../../db/entities';
import { newId } from '../../db/ids';
import { pricesFor } from '../../db/plan-prices';
import { arrCents } from '../../domain/plan-change';

interface SubscriberOptions {
  email: string;
  plan: string;
  periodStart: Date;
  stripeCustomerId?: string;
  status?: 'active' | 'trialing';
  interval?: 'month' | 'year';
  /** The currency it is billed in (the customer's then too); the plan's own by default. */
  currency?: string;
}

/** A customer with a live subscription to a catalog plan, its period opened `periodStart`. */
export async function seedSubscriber(
  orm: MikroORM,
  opts: SubscriberOptions,
): Promise<{ customer: Customer; subscription: Subscription; sub: string }> {
  const em = orm.em.fork();
  const plan = await em.findOneOrFail(Plan, { code: opts.plan, isCurrent: true });
  const made = createSubscriber(em, plan, opts);
  await em.flush();
  return made;
}

/**
 * Many subscribers to one plan, a thousand to a flush (a benchmark's thousands of customers); answers
 * their user ids.
 */
export async function seedSubscribers(
  orm: MikroORM,
  count: number,
  opts: Omit<SubscriberOptions, 'email'> & { emailOf: (i: number) => string },
): Promise<string[]> {
  const subs: string[] = [];
  for (let from = 0; from < count; from += 1000) {
    const em = orm.em.fork();
    const plan = await em.findOneOrFail(Plan, { code: opts.plan, isCurrent: true });
    for (let i = from; i < Math.min(count, from + 1000); i++)
      subs.push(createSubscriber(em, plan, { ...opts, email: opts.emailOf(i) }).sub);
    await em.flush();
  }
  return subs;
}

function createSubscriber(
  em: EntityManager,
  plan: Plan,
  opts: SubscriberOptions,
): { customer: Customer; subscription: Subscription; sub: string } {
  const sub = `kc-${opts.email}`;
  const customer = em.create(Customer, {
    id: newId('cust'),
    userId: sub,
    email: opts.email,
    stripeCustomerId: opts.stripeCustomerId ?? null,
    currency: opts.currency ?? null,
  });
  const amountCents = pricesFor(plan, opts.interval ?? 'month', opts.currency ?? plan.currency)
    .amountCents as number;
  const subscription = em.create(Subscription, {
    id: newId('subs'),
    customer,
    plan,
    tier: plan.code,
    status: opts.status ?? 'active',
    interval: opts.interval ?? 'month',
    amountCents,
    // What revenue reads, as the mirror would set it.
    arrCents: arrCents(opts.status ?? 'active', { interval: opts.interval ?? 'month', amountCents }),
    currentPeriodStart: opts.periodStart,
    currentPeriodEnd: new Date(
      opts.periodStart.getTime() + (opts.interval === 'year' ? 365 : 30) * 86_400_000,
    ),
    createdAt: new Date(opts.periodStart.getTime() - 1000),
    currency: opts.currency ?? plan.currency,
  });
  return { customer, subscription, sub };
}
