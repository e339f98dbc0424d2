import type { EntityManager } from '@mikro-orm/core';
import { Plan, Subscription } from '../../db/entities';
import { pricesFor } from '../../db/plan-prices';
import { liveSubscriptionsPerPlan } from '../../db/plan-subscribers';
import { entitlementChangesOf } from '../../db/plan-migrations';
import { notFound } from '../../domain/errors';
import { FINAL_STATUSES } from '../../domain/subscription-status';
import { pricedIn } from './list-plans';

/**
 * Every version of every plan, archived ones too, with how many live subscriptions each version carries
 * and whether Stripe can bill each of its cycles yet: what an operator needs before editing or migrating.
 */
export async function listPlanVersions(em: EntityManager) {
  const [plans, live] = await Promise.all([
    em.find(Plan, {}, { orderBy: { sortOrder: 'asc', code: 'asc', version: 'desc' } }),
    liveSubscriptionsPerPlan(em),
  ]);
  return plans.map((p) => ({
    ...pricedIn(p),
    liveSubscriptions: live.get(p.id) ?? 0,
    stripeSync: {
      monthly: pricesFor(p, 'month').synced,
      yearly: p.priceYearlyCents == null ? null : pricesFor(p, 'year').synced,
    },
  }));
}

/**
 * Who a migration of `code` to its current version would move: live subscribers of its older versions,
 * each with the price and the entitlements they would gain and lose (their overrides counted), and per
 * feature how many subscribers each change reaches.
 */
export async function migrationPreview(em: EntityManager, code: string, now: Date) {
  const current = await em.findOne(Plan, { code, isCurrent: true });
  if (!current) throw notFound('plan', code);
  const subs = await em.find(
    Subscription,
    { tier: code, plan: { version: { $lt: current.version } }, status: { $nin: [...FINAL_STATUSES] } },
    { populate: ['plan', 'customer'], orderBy: { createdAt: 'asc', id: 'asc' } },
  );
  const changesOf = await entitlementChangesOf(
    em,
    subs.map((s) => s.customer.id),
    current,
    now,
  );
  const summary = new Map<string, { feature: string; change: string; subscribers: number }>();
  const subscriptions = subs.map((s) => {
    const changes = changesOf(s.plan, s.customer.id);
    for (const c of changes) {
      const key = `${c.feature}\0${c.change}`;
      const row = summary.get(key) ?? { feature: c.feature, change: c.change, subscribers: 0 };
      row.subscribers += 1;
      summary.set(key, row);
    }
    return {
      subscriptionId: s.id,
      email: s.customer.email,
      fromVersion: s.plan.version,
      interval: s.interval,
      amountCents: s.amountCents,
      newAmountCents: pricesFor(current, s.interval, s.currency).amountCents,
      entitlementChanges: changes,
    };
  });
  return {
    planCode: code,
    toVersion: current.version,
    subscriptions,
    entitlementSummary: [...summary.values()].sort((a, b) =>
      a.feature === b.feature ? a.change.localeCompare(b.change) : a.feature.localeCompare(b.feature),
    ),
  };
}
