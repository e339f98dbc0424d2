import type { EntityManager, FilterQuery } from '@mikro-orm/core';
import { Charge, Customer, Subscription } from '../../db/entities';
import type { BillingInterval } from '../../domain/billing-cycle';
import { mrrCents } from '../../domain/plan-change';
import { FINAL_STATUSES, isFinal, type SubscriptionStatus } from '../../domain/subscription-status';
import { seekPage, sortKey } from '../../db/keyset-pagination';
import {
  newestEndedIn,
  newestLiveIs,
  withoutLiveSubscription,
  withStripeSubscription,
} from '../../db/customer-search';
import { sqlFor } from '../../db/raw-sql';

/**
 * A case-insensitive match: SQLite's LIKE already ignores ASCII case and has no ILIKE; PostgreSQL needs ILIKE.
 * SQLite's LIKE has no default escape character either, so instead of escaping, `%` and `\` are dropped
 * from a "contains" search; an `_` still matches any one character, which only widens it.
 */
export function caseless(em: EntityManager, pattern: string) {
  return sqlFor(em).dialect === 'sqlite' ? { $like: pattern } : { $ilike: pattern };
}
const likeContains = (text: string) => `%${text.replace(/[%\\]/g, '')}%`;

const customerSorts = {
  created: { field: 'createdAt', kind: 'date' },
  email: { field: 'email', kind: 'string' },
} as const;

/** The customer list's filters; each one given narrows the list (they combine with AND). */
export interface CustomerFilter {
  /** Part of the email (any case). */
  email?: string;
  /** Part of the email, or exactly a Stripe customer id, a Stripe subscription id (any of the customer's) or our customer id. */
  q?: string;
  /** The plan code of the customer's live subscription (its newest that has not ended). */
  tier?: string;
  /**
   * The status of the customer's live subscription; `none`: no live subscription. A final status
   * (canceled, expired): no live subscription, and the newest one ended in that status.
   */
  status?: SubscriptionStatus | 'none';
}

/**
 * The filter as a MikroORM query on customers. Built anew for each query: a `raw()` key is good for one.
 * The tier and status conditions are subqueries on subscriptions, not a join, so a customer stays one row
 * and keyset paging on the customers' own columns still holds.
 */
function customerWhere(em: EntityManager, f: CustomerFilter): FilterQuery<Customer> {
  const all: FilterQuery<Customer>[] = [];
  if (f.email) all.push({ email: caseless(em, likeContains(f.email)) });
  if (f.q) {
    all.push({
      $or: [
        { email: caseless(em, likeContains(f.q)) },
        { stripeCustomerId: f.q },
        { id: f.q },
        withStripeSubscription(f.q),
      ],
    } as FilterQuery<Customer>);
  }
  if (f.status === 'none' || (f.status && isFinal(f.status))) all.push(withoutLiveSubscription());
  if (f.status && f.status !== 'none' && isFinal(f.status)) {
    // The newest subscription of all, which (no live one being left) is the last to have ended.
    all.push(newestEndedIn(f.status, f.tier));
  } else if (f.tier || (f.status && f.status !== 'none')) {
    // The newest live subscription, with this tier and/or status (with `none` and a tier: nobody).
    all.push(newestLiveIs(f.tier, f.status === 'none' ? undefined : f.status));
  }
  return all.length ? ({ $and: all } as FilterQuery<Customer>) : {};
}

/** A customer in the admin list, with the tier and status of its newest subscription that has not ended. */
export interface AdminCustomer {
  customerId: string;
  stripeCustomerId: string | null;
  email: string;
  name: string | null;
  createdAt: Date;
  userId: string;
  tier: string | null;
  subscriptionStatus: SubscriptionStatus | null;
}

/**
 * `GET /admin/billing/customers`: each customer's ids (ours and Stripe's), email, name and creation time,
 * with the tier and status of its newest subscription that has not ended; filtered by `CustomerFilter`.
 */
export async function listCustomers(
  em: EntityManager,
  q: CustomerFilter & { limit: number; cursor?: string; sort: string },
) {
  const page = await seekPage(em, Customer, () => customerWhere(em, q), {
    key: sortKey(q.sort, customerSorts),
    limit: q.limit,
    cursor: q.cursor,
  });
  const live = page.items.length
    ? await em.find(
        Subscription,
        { customer: { $in: page.items.map((c) => c.id) }, status: { $nin: [...FINAL_STATUSES] } },
        { orderBy: { createdAt: 'asc', id: 'asc' } },
      )
    : [];
  // Ascending (as the filter's "newest"), so the newest live subscription of a customer is the one left in the map.
  const tierOf = new Map(live.map((s) => [s.customer.id, s]));
  return {
    customers: page.items.map((c): AdminCustomer => ({
      customerId: c.id,
      stripeCustomerId: c.stripeCustomerId ?? null,
      email: c.email,
      name: c.name ?? null,
      createdAt: c.createdAt,
      userId: c.userId,
      tier: tierOf.get(c.id)?.tier ?? null,
      subscriptionStatus: tierOf.get(c.id)?.status ?? null,
    })),
    total: page.total,
    nextCursor: page.nextCursor,
  };
}

const subscriptionSorts = {
  created: { field: 'createdAt', kind: 'date' },
  amount: { field: 'amountCents', kind: 'number' },
} as const;

/**
 * The admin view of a subscription: its ids (ours and Stripe's), price, status and period, with the
 * customer's email and the MRR it adds.
 */
export interface AdminSubscription {
  subscriptionId: string;
  stripeSubscriptionId: string | null;
  customerId: string;
  stripeCustomerId: string | null;
  email: string;
  tier: string;
  status: SubscriptionStatus;
  amountCents: number;
  mrrCents: number;
  currency: string;
  interval: BillingInterval;
  currentPeriodStart: Date | null;
  currentPeriodEnd: Date | null;
  trialEnd: Date | null;
  cancelAtPeriodEnd: boolean;
  canceledAt: Date | null;
  createdAt: Date;
}

export function adminSubscriptionOf(s: Subscription): AdminSubscription {
  return {
    subscriptionId: s.id,
    stripeSubscriptionId: s.stripeSubscriptionId ?? null,
    customerId: s.customer.id,
    stripeCustomerId: s.customer.stripeCustomerId ?? null,
    email: s.customer.email,
    tier: s.tier,
    status: s.status,
    amountCents: s.amountCents,
    mrrCents: mrrCents(s.status, s),
    currency: s.currency,
    interval: s.interval,
    currentPeriodStart: s.currentPeriodStart ?? null,
    currentPeriodEnd: s.currentPeriodEnd ?? null,
    trialEnd: s.trialEnd ?? null,
    cancelAtPeriodEnd: s.cancelAtPeriodEnd,
    canceledAt: s.canceledAt ?? null,
    createdAt: s.createdAt,
  };
}

/** Subscriptions for the admin lists, filtered by status(es), tier and email. */
export async function listSubscriptions(
  em: EntityManager,
  q: { limit: number; cursor?: string; sort: string; status?: string[]; tier?: string; email?: string },
) {
  const where = {
    ...(q.status?.length ? { status: { $in: q.status } } : {}),
    ...(q.tier ? { tier: q.tier } : {}),
    ...(q.email ? { customer: { email: caseless(em, likeContains(q.email)) } } : {}),
  } as FilterQuery<Subscription>;
  const page = await seekPage(em, Subscription, where, {
    key: sortKey(q.sort, subscriptionSorts),
    limit: q.limit,
    cursor: q.cursor,
    populate: ['customer'],
  });
  return {
    subscriptions: page.items.map(adminSubscriptionOf),
    total: page.total,
    nextCursor: page.nextCursor,
  };
}

/** A dispute's outcome once it has one: won (the merchant keeps the money) or lost (the cardholder gets it). */
function disputeOutcome(status: string | null | undefined): 'won' | 'lost' | null {
  if (status === 'won' || status === 'warning_closed' || status === 'prevented') return 'won';
  return status === 'lost' ? 'lost' : null;
}

/** A charge in the admin list, with its customer and, when disputed, the dispute's state and outcome. */
export interface AdminCharge {
  stripeChargeId: string;
  amountCents: number;
  amountRefundedCents: number;
  currency: string;
  status: string;
  customerId: string;
  stripeCustomerId: string | null;
  customerEmail: string;
  description: string | null;
  failureCode: string | null;
  createdAt: Date;
  paid: boolean;
  refunded: boolean;
  cardBrand: string | null;
  cardLast4: string | null;
  stripeInvoiceId: string | null;
  disputeStatus: string | null;
  disputedAmountCents: number;
  disputeOutcome: 'won' | 'lost' | null;
  disputeReason: string | null;
}

/** `GET /admin/billing/recent-charges`: newest first. */
export async function listCharges(em: EntityManager, q: { limit: number; cursor?: string; status?: string }) {
  const where = (q.status ? { status: q.status } : {}) as FilterQuery<Charge>;
  const page = await seekPage(em, Charge, where, {
    key: sortKey('-created', { created: { field: 'createdAt', kind: 'date' } }),
    limit: q.limit,
    cursor: q.cursor,
    populate: ['customer'],
  });
  return {
    charges: page.items.map((c): AdminCharge => ({
      stripeChargeId: c.stripeChargeId,
      amountCents: c.amountCents,
      amountRefundedCents: c.amountRefundedCents,
      currency: c.currency,
      status: c.status,
      customerId: c.customer.id,
      stripeCustomerId: c.customer.stripeCustomerId ?? null,
      customerEmail: c.customer.email,
      description: c.description ?? null,
      failureCode: c.failureCode ?? null,
      createdAt: c.createdAt,
      paid: c.paid,
      refunded: c.refunded,
      cardBrand: c.cardBrand ?? null,
      cardLast4: c.cardLast4 ?? null,
      stripeInvoiceId: c.stripeInvoiceId ?? null,
      disputeStatus: c.disputeStatus ?? null,
      disputedAmountCents: c.disputedAmountCents,
      disputeOutcome: disputeOutcome(c.disputeStatus),
      disputeReason: c.disputeReason ?? null,
    })),
    total: page.total,
    nextCursor: page.nextCursor,
  };
}
