import type { EntityManager } from '@mikro-orm/core';
import { Customer, Invoice, Subscription, SubscriptionChange } from '../../db/entities';
import { notFound } from '../../domain/errors';
import { workflowIds } from '../../workflows/ids';
import { findLiveSubscription } from '../subscriptions/live-subscription';
import { caseless } from './lists';

/** The customer with this email, compared without regard to case (identity providers differ on it). */
export async function customerByEmailAnyCase(em: EntityManager, email: string): Promise<Customer> {
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

/** What an operator sees of a customer's subscription: it, its workflow, its history and its invoices. */
export interface SubscriptionDetail {
  customer: Customer;
  subscription: Subscription;
  /** The id of the workflow that owns the subscription. */
  workflowId: string;
  /** The customer's subscriptions, newest first (20 at most). */
  history: Subscription[];
  /** Every change of price, cycle, status or plan the mirror recorded, newest first (100 at most). */
  changes: SubscriptionChange[];
  /** The customer's newest invoices (12 at most). */
  invoices: Invoice[];
}

/** A customer's subscription by email, with its history, its changes and recent invoices. */
export async function subscriptionDetailByEmail(
  em: EntityManager,
  email: string,
): Promise<SubscriptionDetail> {
  const customer = await customerByEmailAnyCase(em, email);
  const subscription = await subscriptionOf(em, customer);
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
    customer,
    subscription,
    workflowId: workflowIds.subscription(subscription.id),
    history,
    changes,
    invoices,
  };
}
