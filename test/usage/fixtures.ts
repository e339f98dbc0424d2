import type { MikroORM } from '@mikro-orm/core';
import { UsageCounters, setCountersFor } from '../../services/usage/counters';
import { Customer, Plan, Subscription } from '../../db/entities';
import { newId } from '../../db/ids';
import type { TestIdp } from '../helpers/auth';
import { storeProviderKey } from '../../services/byok/provider-keys';
import type { ByokProviderId } from '../../domain/byok-providers';
import { testKeyring } from '../helpers/byok-keys';
import { startTestApi, type TestApi } from '../helpers/api';

export type UsageApi = TestApi;

/** The real app with the test identity provider's keys. */
export function startUsageApi(orm: MikroORM, idp: TestIdp): Promise<UsageApi> {
  return startTestApi({ orm, env: { OIDC_ISSUER: idp.issuer, OIDC_JWKS_URL: idp.jwksUrl } });
}

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
  });
  const subscription = em.create(Subscription, {
    id: newId('subs'),
    customer,
    plan,
    tier: plan.code,
    status: opts.status ?? 'active',
    interval: opts.interval ?? 'month',
    amountCents: opts.interval === 'year' ? (plan.priceYearlyCents as number) : plan.priceMonthlyCents,
    currentPeriodStart: opts.periodStart,
    currentPeriodEnd: new Date(
      opts.periodStart.getTime() + (opts.interval === 'year' ? 365 : 30) * 86_400_000,
    ),
    createdAt: new Date(opts.periodStart.getTime() - 1000),
  });
  await em.flush();
  return { customer, subscription, sub };
}

/** A provider key the customer stored, through the engine's own BYOK service (so BYOK usage is exempt). */
export async function storeCustomerKey(
  orm: MikroORM,
  customer: Customer,
  provider: ByokProviderId = 'openai',
) {
  await storeProviderKey(orm.em.fork(), {
    identity: {
      sub: customer.userId,
      email: customer.email,
      name: null,
      roles: [],
      role: 'viewer',
      expMs: 0,
    },
    customer,
    provider,
    apiKey: `sk-test-${'k'.repeat(40)}`,
    keyring: testKeyring(),
  });
}

/** Puts the usage clock of this database under the test's control. */
export function controlClock(orm: MikroORM, start: number): { set(ms: number): void; now(): number } {
  let clock = start;
  setCountersFor(orm.em, new UsageCounters({ now: () => clock }));
  return {
    set: (ms) => {
      clock = ms;
    },
    now: () => clock,
  };
}
