import type { MikroORM } from '@mikro-orm/core';
import type { Client } from '@temporalio/client';
import type Stripe from 'stripe';
import type { PlanPrice } from '../../db/plan-prices';
import { activeSubscriptionsOf, subscribedAlready } from '../../db/seeded-book';
import { workflowIds } from '../../workflows/ids';
import { resolvePlanPrice } from '../subscriptions/plan-price';
import { workflowType } from '../temporal/workflow-type';

export interface BookDeps {
  orm: MikroORM;
  temporal: Client;
  taskQueue: string;
  stripe: Stripe;
}

/**
 * One subscriber made the engine's own way, fast: the customer through the onboarding workflow a sign-in
 * starts (with its Stripe customer), the subscription made in Stripe directly with a card on file, as in
 * Stripe's dashboard; Stripe's webhooks then make the engine start the subscription's workflow.
 */
export async function makeSubscriber(
  deps: Pick<BookDeps, 'temporal' | 'taskQueue' | 'stripe'>,
  userId: string,
  price: Pick<PlanPrice, 'priceId' | 'usagePriceId'>,
): Promise<Stripe.Subscription> {
  const record = await deps.temporal.workflow.execute(workflowType('customerOnboarding'), {
    workflowId: workflowIds.customer(userId),
    taskQueue: deps.taskQueue,
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    args: [{ userId, email: `${userId}@example.com`, name: userId }, { withStripe: true }],
  });
  if (!record.stripeCustomerId) throw new Error(`customer ${userId} has no Stripe customer`);
  return deps.stripe.subscriptions.create({
    customer: record.stripeCustomerId,
    items: [{ price: price.priceId }, ...(price.usagePriceId ? [{ price: price.usagePriceId }] : [])],
    default_payment_method: 'pm_card_visa',
  });
}

/**
 * A book of `subscriptions` live subscribers of `plan` (monthly), `prefix-1` to `prefix-N`, made
 * `concurrency` at a time; a customer who already holds one is left alone, so a second run makes only
 * what is missing. Answers once the engine holds every one of them as active.
 */
export async function seedBook(
  deps: BookDeps,
  opts: {
    subscriptions: number;
    plan: string;
    prefix: string;
    concurrency?: number;
    onProgress?: (made: number) => void;
  },
): Promise<{ made: number; already: number; active: number }> {
  const price = await resolvePlanPrice(deps.orm.em.fork(), opts.plan, 'monthly');
  const already = await subscribedAlready(deps.orm.em.fork(), opts.prefix);
  const todo = Array.from({ length: opts.subscriptions }, (_, i) => `${opts.prefix}-${i + 1}`).filter(
    (u) => !already.has(u),
  );
  let made = 0;
  let next = 0;
  const worker = async () => {
    while (next < todo.length) {
      const userId = todo[next++] as string;
      await makeSubscriber(deps, userId, price);
      made++;
      if (made % 100 === 0) opts.onProgress?.(made);
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency ?? 16 }, worker));
  // Webhooks make the workflows: each is active once its first invoice is paid.
  // A stopwatch, not business time: how long the engine may take to catch up.
  const deadline = performance.now() + 300_000 + 2_000 * todo.length;
  let active = await activeSubscriptionsOf(deps.orm.em.fork(), opts.prefix);
  while (active < opts.subscriptions) {
    if (performance.now() > deadline)
      throw new Error(`only ${active} of ${opts.subscriptions} subscriptions became active in the engine`);
    await new Promise((r) => setTimeout(r, 1000));
    active = await activeSubscriptionsOf(deps.orm.em.fork(), opts.prefix);
  }
  return { made, already: opts.subscriptions - todo.length, active };
}
