import type { AddressInfo } from 'node:net';
import type { MikroORM } from '@mikro-orm/core';
import { createVerifier } from '../../api/auth/verifier';
import { UsageCounters, setCountersFor } from '../../api/services/usage/counters';
import { loadConfig } from '../../config/env';
import { Customer, Plan, Subscription } from '../../db/entities';
import { newId } from '../../db/ids';
import type { TestIdp } from '../helpers/auth';
import { createUsageApp } from './usage-app';

export interface UsageApi {
  url: string;
  request(
    method: string,
    path: string,
    opts?: { token?: string; body?: unknown },
  ): Promise<{ status: number; body: any; headers: Headers }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  stop(): Promise<void>;
}

export async function startUsageApi(orm: MikroORM, idp: TestIdp): Promise<UsageApi> {
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: 'sqlite::memory:',
    OIDC_ISSUER: idp.issuer,
    OIDC_JWKS_URL: idp.jwksUrl,
  });
  const app = createUsageApp(orm, await createVerifier(config));
  const server = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    async request(method, path, { token, body } = {}) {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
    },
    stop: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
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
    amountCents: plan.priceMonthlyCents,
    currentPeriodStart: opts.periodStart,
    currentPeriodEnd: new Date(opts.periodStart.getTime() + 30 * 86_400_000),
    createdAt: new Date(opts.periodStart.getTime() - 1000),
  });
  await em.flush();
  return { customer, subscription, sub };
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
