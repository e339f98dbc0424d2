import type { MikroORM } from '@mikro-orm/core';
import { Customer, Plan, Subscription } from '../../db/entities';
import { newId } from '../../db/ids';

/**
 * Gives the customer of `userId` a live subscription to `plan` (professional includes BYOK), so the
 * gateway may read their keys.
 */
export async function subscribeToByokPlan(
  orm: MikroORM,
  userId: string,
  plan = 'professional',
  status: Subscription['status'] = 'active',
): Promise<Subscription> {
  const em = orm.em.fork();
  const customer = await em.findOneOrFail(Customer, { userId });
  const terms = await em.findOneOrFail(Plan, { code: plan, isCurrent: true });
  const now = Date.now();
  const subscription = em.create(Subscription, {
    id: newId('subs'),
    customer,
    plan: terms,
    tier: terms.code,
    status,
    interval: 'month',
    amountCents: terms.priceMonthlyCents,
    currentPeriodStart: new Date(now - 86_400_000),
    currentPeriodEnd: new Date(now + 29 * 86_400_000),
    createdAt: new Date(now - 86_400_000),
  });
  await em.flush();
  return subscription;
}
