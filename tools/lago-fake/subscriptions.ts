import { findOrCreateCustomer } from './customers';
import { notFound, validationErrors } from './errors';
import { lagoId, nowIso } from './ids';
import { pageOf, requireRoot, text } from './params';
import type { Router } from './router';
import type { LagoStore } from './store';
import type { CustomerRec, PlanRec, SubscriptionRec, SubscriptionStatus } from './types';

const STATUSES: readonly SubscriptionStatus[] = ['active', 'pending', 'terminated', 'canceled'];

function newSubscription(
  customer: CustomerRec,
  plan: PlanRec,
  externalId: string,
  name: string | null,
  status: 'active' | 'pending',
): SubscriptionRec {
  const now = nowIso();
  return {
    lago_id: lagoId(),
    external_id: externalId,
    lago_customer_id: customer.lago_id,
    external_customer_id: customer.external_id,
    billing_time: 'calendar',
    name,
    plan_code: plan.code,
    plan_amount_cents: plan.amount_cents,
    plan_amount_currency: plan.amount_currency,
    status,
    created_at: now,
    canceled_at: null,
    started_at: status === 'active' ? now : null,
    ending_at: null,
    subscription_at: now,
    terminated_at: null,
    previous_plan_code: null,
    next_plan_code: null,
    downgrade_plan_date: null,
    trial_ended_at: null,
    on_termination_credit_note: null,
    on_termination_invoice: 'generate',
  };
}

/** With calendar billing, a downgrade waits for the first day of the next month (UTC). */
function nextBillingDay(): string {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString().slice(0, 10);
}

function cancelPending(store: LagoStore, externalId: string): void {
  for (const s of store.subscriptions) {
    if (s.external_id === externalId && s.status === 'pending') {
      s.status = 'canceled';
      s.canceled_at = nowIso();
    }
  }
}

function terminate(store: LagoStore, sub: SubscriptionRec): void {
  sub.status = 'terminated';
  sub.terminated_at = nowIso();
  // Lago cancels the downgrade waiting behind a terminated subscription.
  cancelPending(store, sub.external_id);
}

/**
 * Lago's "assign a plan": a new external_id creates a subscription; the same one for the same customer
 * with the same plan answers the current subscription; with another plan it is a plan change (an upgrade
 * replaces the subscription now, a downgrade waits for the next billing day). The external_id of another
 * customer's active subscription is refused with `value_already_exist`.
 */
function assignPlan(store: LagoStore, input: Record<string, unknown>): SubscriptionRec {
  const externalCustomerId = text(input.external_customer_id);
  if (!externalCustomerId) throw validationErrors({ external_customer_id: ['value_is_mandatory'] });
  const plan = store.plans.get(text(input.plan_code) ?? '');
  if (!plan) throw notFound('plan');
  const externalId = text(input.external_id);
  if (!externalId) throw validationErrors({ external_id: ['value_is_mandatory'] });
  const name = text(input.name);

  const current = store.subscriptions.find(
    (s) =>
      s.external_id === externalId &&
      s.external_customer_id === externalCustomerId &&
      (s.status === 'active' || (s.status === 'pending' && s.previous_plan_code === null)),
  );
  if (!current && store.activeSubscription(externalId)) {
    throw validationErrors({ external_id: ['value_already_exist'] });
  }
  const customer = findOrCreateCustomer(store, externalCustomerId);
  if (!current) {
    const created = newSubscription(customer, plan, externalId, name, 'active');
    store.subscriptions.push(created);
    return created;
  }
  if (current.plan_code === plan.code) return current;

  if (store.yearlyAmount(plan.code) >= store.yearlyAmount(current.plan_code)) {
    terminate(store, current);
    const upgraded = newSubscription(customer, plan, externalId, name ?? current.name, 'active');
    upgraded.previous_plan_code = current.plan_code;
    store.subscriptions.push(upgraded);
    return upgraded;
  }
  cancelPending(store, externalId);
  const next = newSubscription(customer, plan, externalId, name ?? current.name, 'pending');
  next.previous_plan_code = current.plan_code;
  store.subscriptions.push(next);
  current.next_plan_code = plan.code;
  current.downgrade_plan_date = nextBillingDay();
  return current;
}

function statusFilter(query: URLSearchParams, key: string): SubscriptionStatus[] {
  const asked = query
    .getAll(key)
    .filter((s): s is SubscriptionStatus => (STATUSES as readonly string[]).includes(s));
  return asked.length > 0 ? asked : ['active'];
}

function latest(store: LagoStore, externalId: string, status: string): SubscriptionRec | undefined {
  const found = store.subscriptions.filter((s) => s.external_id === externalId && s.status === status);
  return found[found.length - 1];
}

export function registerSubscriptions(router: Router): void {
  router.on('POST', '/api/v1/subscriptions', ({ store, body }) => ({
    body: { subscription: assignPlan(store, requireRoot(body, 'subscription')) },
  }));

  router.on('GET', '/api/v1/subscriptions', ({ store, query }) => {
    const statuses = statusFilter(query, 'status[]');
    const customer = query.get('external_customer_id');
    const externalId = query.get('external_id');
    const planCode = query.get('plan_code');
    const matching = store.subscriptions.filter(
      (s) =>
        statuses.includes(s.status) &&
        (!customer || s.external_customer_id === customer) &&
        (!externalId || s.external_id === externalId) &&
        (!planCode || s.plan_code === planCode),
    );
    const { items, meta } = pageOf(matching.reverse(), query);
    return { body: { subscriptions: items, meta } };
  });

  router.on('GET', '/api/v1/subscriptions/:externalId', ({ store, params, query }) => {
    const status = query.get('status') ?? 'active';
    const sub = latest(store, params.externalId ?? '', status);
    if (!sub) throw notFound('subscription');
    return { body: { subscription: sub } };
  });

  // Lago never deletes a subscription: DELETE terminates the active one, or cancels a pending one.
  router.on('DELETE', '/api/v1/subscriptions/:externalId', ({ store, params, query }) => {
    const status = query.get('status') ?? 'active';
    const sub = latest(store, params.externalId ?? '', status);
    if (!sub || (sub.status !== 'active' && sub.status !== 'pending')) throw notFound('subscription');
    if (sub.status === 'pending') {
      sub.status = 'canceled';
      sub.canceled_at = nowIso();
    } else {
      terminate(store, sub);
    }
    return { body: { subscription: sub } };
  });
}
