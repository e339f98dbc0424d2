import type { Identity } from '../../domain/identity';
import type { MikroORM } from '@mikro-orm/core';
import { UsageCounters, setCountersFor } from '../../db/usage-counters';
import { Plan, type Customer } from '../../db/entities';
import { newId } from '../../db/ids';
import { openDatabase, type Dialect } from '../../db/orm';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { openTestDatabase } from '../helpers/db';
import { storeProviderKey } from '../../services/byok/provider-keys';
import type { ByokProviderId } from '../../domain/byok-providers';
import { testKeyring } from '../helpers/byok-keys';
import { startTestApi, type TestApi } from '../helpers/api';

// Kept apart from the app (test/helpers/api) so the benchmarks seed with it without importing the API.
export { seedSubscriber } from './seed-subscriber';

export type UsageApi = TestApi;

/** The real app with the test identity provider's keys. */
export function startUsageApi(orm: MikroORM, idp: TestIdp): Promise<UsageApi> {
  return startTestApi({ orm, env: { OIDC_ISSUER: idp.issuer, OIDC_JWKS_URL: idp.jwksUrl } });
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
    now: new Date(),
  });
}

/** An admin of the engine, for use cases a test calls directly (plans, rate cards). */
export const billingAdmin: Identity = {
  sub: 'admin',
  email: 'admin@example.com',
  name: null,
  roles: ['billing-admin'],
  role: 'admin',
  expMs: 0,
};

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

/**
 * Two plans made for a test from enterprise (150¢ per thousand beyond the included credits, no daily
 * cap), with `includedCredits` a month: `<prefix>-overage` bills overage, `<prefix>-prepaid` is
 * prepaid-only. Neither is in Stripe's catalog.
 */
export async function seedCreditPlans(orm: MikroORM, prefix: string, includedCredits: number): Promise<void> {
  const em = orm.em.fork();
  const enterprise = await em.findOneOrFail(Plan, { code: 'enterprise', isCurrent: true });
  for (const prepaidOnly of [false, true]) {
    em.create(Plan, {
      ...enterprise,
      id: newId('plan'),
      code: `${prefix}-${prepaidOnly ? 'prepaid' : 'overage'}`,
      includedCredits,
      prepaidOnly,
      stripeProductId: null,
      stripePriceMonthlyId: null,
      stripePriceYearlyId: null,
      stripeUsagePriceMonthlyId: null,
      stripeUsagePriceYearlyId: null,
    });
  }
  await em.flush();
}

/**
 * A database, the test identity provider, and two API processes on it (the second through a pool of its
 * own, as another process has), with a gateway token: for what must hold across processes.
 */
export async function startTwoUsageApis(dialect: Dialect) {
  const [db, idp] = await Promise.all([openTestDatabase(dialect), startTestIdp()]);
  const otherOrm = await openDatabase(db.url, { migrate: false });
  const apis = [await startUsageApi(db.orm, idp), await startUsageApi(otherOrm, idp)];
  const gateway = await idp.token({
    sub: 'svc-gateway',
    email: 'gw@example.com',
    roles: ['billing-gateway'],
  });
  return {
    db,
    idp,
    apis,
    gateway,
    async stop() {
      await Promise.all(apis.map((a) => a.stop()));
      await otherOrm.close();
      await Promise.all([db.close(), idp.stop()]);
    },
  };
}
