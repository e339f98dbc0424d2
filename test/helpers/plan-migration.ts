import type { TestResponse } from './api';
import { waitUntil } from './eventually';
import { customerOnClock, type FullStack } from './full-stack';

type Call = (method: string, path: string, body?: unknown) => Promise<TestResponse>;

/**
 * Starts a plan's migration as an admin (`call` adds the token and the `/api/v1` prefix) and answers its
 * report once the run has completed, with every subscription on one page.
 */
export async function migrateAndWait(call: Call, planCode: string, body: { when?: 'now' | 'period_end' }) {
  const started = await call('POST', `/subscriptions/plans/${planCode}/migrate`, body);
  if (started.status !== 202) throw new Error(`migrate: ${started.status} ${JSON.stringify(started.body)}`);
  const done = await waitUntil(
    () => call('GET', `/admin/plan-migrations/${started.body.migration_id}?limit=500`),
    (r) => r.body?.status === 'completed',
    `migration ${started.body.migration_id} completed`,
    60_000,
    200,
  );
  return done.body;
}

/**
 * A customer on a Stripe test clock who bought `plan` monthly at Checkout with 4242, once the engine shows
 * the subscription active: its id, the customer's email and Stripe id, and a read of the subscription.
 */
export async function subscribeTo(stack: FullStack, name: string, plan: string) {
  const who = await customerOnClock(stack, name);
  const checkout = await stack.api.request('POST', '/api/v1/billing/checkout/create', {
    token: who.token,
    body: { tier_id: plan, billing_cycle: 'monthly' },
  });
  if (checkout.status !== 200)
    throw new Error(`checkout: ${checkout.status} ${JSON.stringify(checkout.body)}`);
  stack.emulator.completeCheckoutSession(checkout.body.session_id, { cardNumber: '4242424242424242' });
  await waitUntil(who.getSub, (r) => r.body?.status === 'active', `${name} active`, 60_000);
  return {
    id: checkout.body.subscription_id as string,
    email: `${name}@example.com`,
    stripeCustomerId: who.stripeCustomer.id,
    getSub: who.getSub,
  };
}
