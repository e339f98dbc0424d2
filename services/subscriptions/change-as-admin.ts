import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import { Customer, Invoice, Subscription, SubscriptionChange } from '../../db/entities';
import { conflict, notFound } from '../../domain/errors';
import { planChangeTiming } from '../../domain/plan-change';
import { workflowIds } from '../../workflows/ids';
import {
  cancelSubscription,
  changePlan,
  pauseSubscription,
  resumeSubscription,
} from '../../workflows/messages';
import type { Identity } from '../../domain/identity';
import type { CoreDeps } from '../deps';
import { findLiveSubscription } from './live-subscription';
import { planChangeRequest, resolvePlanPrice } from './plan-price';
import { prorationPreview } from './change-plan';
import { callWorkflow } from '../temporal/gateway';
import { adminSubscriptionDto, caseless } from '../admin-lists/lists';
import { recordAudit } from '../../db/audit';

/** The customer with this email, compared without regard to case (identity providers differ on it). */
async function customerByEmail(em: EntityManager, email: string): Promise<Customer> {
  const candidates = await em.find(Customer, { email: caseless(em, email) }, { limit: 5 });
  const customer = candidates.find((c) => c.email.toLowerCase() === email.toLowerCase());
  if (!customer) throw notFound('customer');
  return customer;
}

/** The customer's current subscription (or their newest, if none is live). */
async function subscriptionOf(em: EntityManager, customer: Customer): Promise<Subscription> {
  const sub =
    (await findLiveSubscription(em, customer)) ??
    (await em.findOne(Subscription, { customer }, { orderBy: { createdAt: 'desc' } }));
  if (!sub) throw notFound('subscription');
  return sub;
}

/** `GET /admin/subscriptions/{email}`: the subscription, its history, its changes and recent invoices. */
export async function subscriptionByEmail(deps: CoreDeps, email: string) {
  const em = deps.orm.em.fork();
  const customer = await customerByEmail(em, email);
  const sub = await subscriptionOf(em, customer);
  const [history, changes, invoices] = await Promise.all([
    em.find(Subscription, { customer }, { orderBy: { createdAt: 'desc' }, limit: 20 }),
    em.find(
      SubscriptionChange,
      { customerId: customer.id },
      { orderBy: { at: 'desc', id: 'desc' }, limit: 100 },
    ),
    em.find(Invoice, { customer }, { orderBy: { createdAt: 'desc', id: 'desc' }, limit: 12 }),
  ]);
  return {
    ...adminSubscriptionDto(sub),
    customer_name: customer.name ?? null,
    user_id: customer.userId,
    workflow_id: workflowIds.subscription(sub.id),
    // Where an operator sees the run: the namespace's workflow page in the configured Temporal Web UI.
    workflow_url: deps.config.TEMPORAL_UI_URL
      ? `${deps.config.TEMPORAL_UI_URL.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(deps.config.TEMPORAL_NAMESPACE)}/workflows/${encodeURIComponent(workflowIds.subscription(sub.id))}`
      : null,
    history: history.map((s) => ({
      subscription_id: s.id,
      tier: s.tier,
      status: s.status,
      amount_cents: s.amountCents,
      interval: s.interval,
      created: s.createdAt.toISOString(),
      ended_at: s.endedAt?.toISOString() ?? null,
    })),
    // Every change of price, cycle, status or plan the mirror recorded, newest first.
    changes: changes.map((c) => ({
      subscription_id: c.subscription.id,
      at: c.at.toISOString(),
      old_tier: c.oldTier ?? null,
      new_tier: c.newTier,
      old_status: c.oldStatus ?? null,
      new_status: c.newStatus,
      old_amount_cents: c.oldAmountCents ?? null,
      new_amount_cents: c.newAmountCents,
      old_interval: c.oldInterval ?? null,
      new_interval: c.newInterval,
    })),
    recent_invoices: invoices.map((i) => ({
      id: i.stripeInvoiceId,
      status: i.status,
      amount_due_cents: i.amountDueCents,
      amount_paid_cents: i.amountPaidCents,
      created: i.createdAt.toISOString(),
    })),
  };
}

/** What moving the customer's live subscription to `tier_id` would cost now; nothing is changed. */
export async function previewAdminPlanChange(
  deps: CoreDeps,
  email: string,
  ask: { tier_id: string; billing_cycle?: 'monthly' | 'yearly'; when?: 'now' | 'period_end' },
) {
  const em = deps.orm.em.fork();
  const sub = await findLiveSubscription(em, await customerByEmail(em, email));
  if (!sub) throw notFound('subscription');
  const cycle = ask.billing_cycle ?? (sub.interval === 'year' ? 'yearly' : 'monthly');
  const price = await resolvePlanPrice(em, ask.tier_id, cycle, 'query.tier_id');
  return prorationPreview(sub, price, planChangeTiming(sub, price, ask.when));
}

export interface AdminSubscriptionChange {
  tier?: string;
  billing_cycle?: 'monthly' | 'yearly';
  when?: 'now' | 'period_end';
  status?: 'active' | 'paused' | 'canceled';
  cancel_at_period_end: boolean;
  reason?: string;
}

/**
 * `PATCH /admin/subscriptions/{email}`: a tier or status change, made by the subscription's workflow through
 * its Updates (the workflow owns the state and talks to Stripe), never by writing the table. Each applied
 * step lands in the audit log with the admin, the state before and the workflow's answer.
 */
export async function changeSubscriptionAsAdmin(
  deps: CoreDeps,
  actor: Identity,
  email: string,
  change: AdminSubscriptionChange,
) {
  const em = deps.orm.em.fork();
  const customer = await customerByEmail(em, email);
  const sub = await findLiveSubscription(em, customer);
  if (!sub) throw notFound('subscription');
  const handle = deps.temporal.workflow.getHandle(workflowIds.subscription(sub.id));
  const before = { ...adminSubscriptionDto(sub), reason: change.reason ?? null };
  const applied: { action: string; result: unknown }[] = [];
  // Audited as each step succeeds, so a later step's failure never hides an earlier change.
  const record = async (action: string, result: unknown) => {
    applied.push({ action, result });
    recordAudit(em, {
      actor: actor,
      action,
      entityType: 'subscription',
      entityId: sub.id,
      before,
      after: result,
    });
    await em.flush();
  };

  if (change.tier) {
    const cycle = change.billing_cycle ?? (sub.interval === 'year' ? 'yearly' : 'monthly');
    const price = await resolvePlanPrice(em, change.tier, cycle);
    const when = planChangeTiming(sub, price, change.when);
    const result = await callWorkflow(deps, () =>
      handle.executeUpdate(changePlan, { args: [planChangeRequest(price, when)] }),
    );
    await record('subscription.change_plan', result);
  }

  if (change.status === 'canceled') {
    const view = await callWorkflow(deps, () =>
      handle.executeUpdate(cancelSubscription, {
        args: [{ atPeriodEnd: change.cancel_at_period_end, requestId: randomUUID() }],
      }),
    );
    await record('subscription.cancel', view);
  } else if (change.status === 'paused' || (change.status === 'active' && sub.status === 'paused')) {
    const paused = change.status === 'paused';
    const view = await callWorkflow(deps, () =>
      handle.executeUpdate(pauseSubscription, { args: [{ paused, requestId: randomUUID() }] }),
    );
    await record(paused ? 'subscription.pause' : 'subscription.unpause', view);
  } else if (change.status === 'active' && sub.cancelAtPeriodEnd) {
    const view = await callWorkflow(deps, () =>
      handle.executeUpdate(resumeSubscription, { args: [{ requestId: randomUUID() }] }),
    );
    await record('subscription.resume', view);
  } else if (change.status === 'active' && !change.tier) {
    throw conflict('no_change', `The subscription is already ${sub.status} and not set to cancel`);
  }

  return {
    success: true,
    subscription_id: sub.id,
    email: customer.email,
    applied,
  };
}
