import type { MikroORM } from '@mikro-orm/core';
import { Customer, Plan, Subscription } from '../../db/entities';
import { newId } from '../../db/ids';
import { pricesFor } from '../../db/plan-prices';
import { arrCents } from '../../domain/plan-change';

/** A customer with a live subscription to a catalog plan, its period opened `periodStart`. */
export async function seedSubscriber(
  orm: MikroORM,
  opts: {
    email: string;
    plan: string;
    periodStart: Date;
    stripeCustomerId?: string;
    status?: 'active' | 'trialing';
    interval?: 'month' | 'year';
    /** The currency it is billed in (the customer's then too); the plan's own by default. */
    currency?: string;
  },
): Promise<{ customer: Customer; subscription: Subscription; sub: string }> {
  const em = orm.em.fork();
  const plan = await em.findOneOrFail(Plan, { code: opts.plan, isCurrent: true });
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
  await em.flush();
  return { customer, subscription, sub };
}
