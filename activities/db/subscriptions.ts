import { ApplicationFailure } from '@temporalio/activity';
import { Customer, PaymentMethod, Subscription, SubscriptionChange } from '../../db/entities';
import { newId } from '../../db/ids';
import { insertSubscriptionRow } from '../../db/subscription-records';
import { planOfPrice, pricesFor } from '../../db/plan-prices';
import { arrCents, recurringAmountCents } from '../../domain/plan-change';
import { isFinal, type SubscriptionStatus } from '../../domain/subscription-status';
import type { ActivityDeps } from '../deps';
import { recordSubscriptionEvents } from './subscription-events';
import type { SubscriptionSnapshot } from '../../domain/stripe-snapshots';
import {
  applySubscriptionSnapshot,
  markChargedCardDefault,
  settleSubscriptionDiscount,
} from '../../db/mirror';
import { FAILURE } from '../../domain/failure-types';
import { statusChangeMarksCard } from '../../domain/card-default';
import { billsUsage } from '../../domain/rate-card';
import { termsFor } from '../../domain/currency/plan-terms';
import { clockOf } from '../../domain/clock';
import type { BillingAnchor } from '../../domain/billing-anchor';

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

  /** Stripe's view plus the workflow's status; the plan follows the price, so upgrades show at once. */
  async function recordSubscriptionState(req: {
    subscriptionId: string;
    snapshot: SubscriptionSnapshot | null;
    status: SubscriptionStatus;
  }): Promise<void> {
    const em = orm.em.fork();
    const row = await em.findOne(Subscription, req.subscriptionId);
    if (!row) {
      throw ApplicationFailure.nonRetryable(`subscription ${req.subscriptionId} not found`, FAILURE.notFound);
    }
    const before = { amount: row.amountCents, interval: row.interval, status: row.status, tier: row.tier };
    const netBefore = row.netAmountCents ?? row.amountCents;
    if (req.snapshot) {
      // A price belongs to one plan: the price the row already bills names the plan it already has, so only a
      // new price is looked up (a renewal's read, and most of a sign-up's, bring the same one).
      const samePrice = req.snapshot.priceId === row.stripePriceId;
      applySubscriptionSnapshot(row, req.snapshot, req.status);
      await settleSubscriptionDiscount(em, row);
      const priceId = req.snapshot.priceId;
      if (priceId && !samePrice) {
        const owner = await planOfPrice(em, priceId);
        if (owner) {
          row.plan = owner.plan;
          row.tier = owner.plan.code;
          row.currency = owner.currency;
        }
      }
    } else {
      row.status = req.status;
    }
    if (isFinal(req.status) && !row.endedAt) row.endedAt = clock.now();
    // Past checkout, Stripe holds the customer to this currency; so does the engine from now on.
    if (row.status !== 'incomplete')
      await em.nativeUpdate(Customer, { id: row.customer.id, currency: null }, { currency: row.currency });
    // Recurring revenue is net of a recurring discount: a coupon starting or ending is a change of it.
    row.netAmountCents = recurringAmountCents(row.amountCents, row.discount, clock.now());
    row.arrCents = arrCents(row.status, { interval: row.interval, amountCents: row.netAmountCents });
    const changed =
      netBefore !== row.netAmountCents ||
      before.amount !== row.amountCents ||
      before.interval !== row.interval ||
      before.status !== row.status ||
      before.tier !== row.tier;
    const chargedCard = req.snapshot?.paymentMethodId;
    if (chargedCard && statusChangeMarksCard(before.status, row.status))
      await markChargedCardDefault(em, row.customer.id, chargedCard);
    if (changed) {
      // The history revenue's MRR movements are computed from; a retried activity finds nothing changed.
      const changeId = newId('sch');
      em.create(SubscriptionChange, {
        id: changeId,
        subscription: row,
        customerId: row.customer.id,
        currency: row.currency,
        at: clock.now(),
        // What it recurred at before and after, net of recurring discounts: what revenue sums.
        oldAmountCents: netBefore,
        newAmountCents: row.netAmountCents,
        oldInterval: before.interval,
        newInterval: row.interval,
        oldStatus: before.status,
        newStatus: row.status,
        oldTier: before.tier,
        newTier: row.tier,
      });
      // In the same flush as the change: the outgoing events exist exactly when the change does.
      await recordSubscriptionEvents(em, row, before, changeId, clock);
    }
    await em.flush();
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
    const owner = await planOfPrice(orm.em.fork(), priceId);
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
