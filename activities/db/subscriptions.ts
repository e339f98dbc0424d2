import { ApplicationFailure } from '@temporalio/activity';
import { PaymentMethod, Subscription } from '../../db/entities';
import { insertSubscriptionRow } from '../../db/subscription-records';
import { planBriefOfPrice, pricedPlanOfPrice, pricesFor } from '../../db/plan-prices';
import type { SubscriptionStatus } from '../../domain/subscription-status';
import { grantsAccess } from '../../domain/subscription-status';
import type { ActivityDeps } from '../deps';
import type { SubscriptionSnapshot } from '../../domain/stripe-snapshots';
import { markChargedCardDefault, settleSubscriptionDiscount } from '../../db/mirror';
import { FAILURE } from '../../domain/failure-types';
import { statusChangeMarksCard } from '../../domain/card-default';
import { billsUsage } from '../../domain/rate-card';
import { termsFor } from '../../domain/currency/plan-terms';
import { clockOf } from '../../domain/clock';
import type { BillingAnchor } from '../../domain/billing-anchor';
import {
  changedFields,
  isRecordedChange,
  settled,
  withSnapshot,
  type SubscriptionStateRow,
} from '../../domain/subscription-state';
import { subscriptionEvents } from '../../domain/subscription-events';
import {
  loadSubscriptionState,
  newChangeId,
  planAccessOf,
  writeSubscriptionState,
} from '../../db/subscription-state';
import type { NewBillingEvent } from '../../db/billing-events';
import { subscriptionObject } from '../../integrations/webhooks/objects';

export interface NewSubscription {
  subscriptionId: string;
  customerId: string;
  planId: string;
  interval: 'month' | 'year';
  amountCents: number;
  /** The currency it is billed in; absent from older workflows, which billed their plan's own. */
  currency?: string;
  /** Calendar billing chosen at checkout; absent: anniversary. */
  billingAnchor?: BillingAnchor;
}

/** The subscription mirror, written only by the subscription's own workflow. */
export function createSubscriptionDbActivities(deps: ActivityDeps) {
  const { orm } = deps;
  const clock = clockOf(deps);
  async function createSubscriptionRecord(input: NewSubscription): Promise<void> {
    const made = await insertSubscriptionRow(orm.em.fork(), {
      id: input.subscriptionId,
      customerId: input.customerId,
      planId: input.planId,
      interval: input.interval,
      amountCents: input.amountCents,
      currency: input.currency,
      billingAnchor: input.billingAnchor ?? 'anniversary',
    });
    if (made === 'missing')
      throw ApplicationFailure.nonRetryable('plan or customer not found', FAILURE.notFound);
  }

  /**
   * Stripe's view plus the workflow's status; the plan follows the price, so upgrades show at once. Read,
   * decided (domain/subscription-state.ts), then written in one transaction (db/subscription-state.ts).
   */
  async function recordSubscriptionState(req: {
    subscriptionId: string;
    snapshot: SubscriptionSnapshot | null;
    status: SubscriptionStatus;
  }): Promise<void> {
    const em = orm.em.fork();
    const loaded = await loadSubscriptionState(em, req.subscriptionId);
    if (!loaded) {
      throw ApplicationFailure.nonRetryable(`subscription ${req.subscriptionId} not found`, FAILURE.notFound);
    }
    const now = clock.now();
    const before = loaded.row;
    let row = withSnapshot(before, req.snapshot, req.status);
    let plan: { services: string[]; dailyApiCalls: number | null } | null = null;
    if (req.snapshot) {
      if (row.discount) row = { ...row, discount: await settleSubscriptionDiscount(em, row) };
      // A price belongs to one plan: the price the row already bills names the plan it already has, so only a
      // new price is looked up (a renewal's read, and most of a sign-up's, bring the same one).
      const priceId = req.snapshot.priceId;
      const owner = priceId && priceId !== before.stripePriceId ? await planBriefOfPrice(em, priceId) : null;
      if (owner) {
        row = { ...row, planId: owner.planId, tier: owner.code, currency: owner.currency };
        plan = { services: owner.services, dailyApiCalls: owner.dailyApiCalls };
      }
    }
    row = settled(row, now);
    const chargedCard = req.snapshot?.paymentMethodId;
    if (chargedCard && statusChangeMarksCard(before.status, row.status))
      await markChargedCardDefault(em, row.customerId, chargedCard);
    const change = isRecordedChange(before, row)
      ? {
          id: newChangeId(),
          before: { ...before, netAmountCents: before.netAmountCents ?? before.amountCents },
        }
      : null;
    const events = change ? await subscriptionEventsOf(before, row, change.id, plan) : [];
    await writeSubscriptionState(em, {
      row,
      fields: changedFields(before, row),
      // Past checkout, Stripe holds the customer to this currency; so does the engine from now on.
      customerCurrency: row.status !== 'incomplete' && loaded.customerCurrency === null,
      change,
      events,
      at: now,
    });
  }

  /**
   * The outgoing events of one recorded change: `subscription.*` with the subscription as the API shows it,
   * and `access.changed` with what the customer may use now. Named after the change, so a change is
   * published once.
   */
  async function subscriptionEventsOf(
    before: SubscriptionStateRow,
    row: SubscriptionStateRow,
    changeId: string,
    plan: { services: string[]; dailyApiCalls: number | null } | null,
  ): Promise<Omit<NewBillingEvent, 'at'>[]> {
    const kinds = subscriptionEvents(before, { status: row.status, tier: row.tier });
    const event = (type: string, payload: Record<string, unknown>) => ({
      customerId: row.customerId,
      type,
      payload,
      dedupeKey: `${type}:${changeId}`,
    });
    const out: Omit<NewBillingEvent, 'at'>[] = [];
    if (kinds.subscription) out.push(event(kinds.subscription, subscriptionObject(row)));
    if (kinds.accessChanged) {
      const terms = plan ?? (await planAccessOf(orm.em.fork(), row.planId));
      if (!terms) throw ApplicationFailure.nonRetryable(`plan ${row.planId} not found`, FAILURE.notFound);
      const allowed = grantsAccess(row.status);
      out.push(
        event('access.changed', {
          cause: 'subscription',
          subscription_id: row.id,
          tier: row.tier,
          status: row.status,
          allowed,
          services: allowed ? terms.services : [],
          daily_api_calls: allowed ? terms.dailyApiCalls : null,
          previous: { tier: before.tier, status: before.status, allowed: grantsAccess(before.status) },
        }),
      );
    }
    return out;
  }

  /** The mirror's copy of the workflow's pending plan change; null clears it (applied, replaced or canceled). */
  async function recordPendingChange(req: {
    subscriptionId: string;
    pending: { tier: string; interval: 'month' | 'year'; amountCents: number; effectiveAt: string } | null;
  }): Promise<void> {
    const em = orm.em.fork();
    const row = await em.findOne(Subscription, req.subscriptionId);
    if (!row) {
      throw ApplicationFailure.nonRetryable(`subscription ${req.subscriptionId} not found`, FAILURE.notFound);
    }
    const p = req.pending;
    row.pendingTier = p?.tier ?? null;
    row.pendingInterval = p?.interval ?? null;
    row.pendingAmountCents = p?.amountCents ?? null;
    row.pendingEffectiveAt = p ? new Date(p.effectiveAt) : null;
    await em.flush();
  }

  async function customerHasPaymentMethod(customerId: string): Promise<boolean> {
    return (await orm.em.fork().count(PaymentMethod, { customer: customerId, detachedAt: null })) > 0;
  }

  /**
   * The metered usage price that belongs beside a plan price (same plan version and cycle); null when
   * the plan bills no usage or the price is not one of ours.
   */
  async function usagePriceFor(priceId: string): Promise<string | null> {
    const owner = await pricedPlanOfPrice(orm.em.fork(), priceId);
    if (!owner || !billsUsage(termsFor(owner.plan, owner.currency))) return null;
    return pricesFor(owner.plan, owner.interval, owner.currency).usagePriceId;
  }

  return {
    createSubscriptionRecord,
    recordSubscriptionState,
    recordPendingChange,
    customerHasPaymentMethod,
    usagePriceFor,
  };
}
