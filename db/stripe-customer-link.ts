import type { EntityManager } from '@mikro-orm/core';
import { readDate, sqlFor } from './raw-sql';

/** What making a customer's Stripe customer reads of them. */
export interface CustomerForStripe {
  id: string;
  userId: string;
  email: string;
  name: string | null;
  stripeCustomerId: string | null;
  createdAt: Date;
}

export async function customerForStripe(em: EntityManager, id: string): Promise<CustomerForStripe | null> {
  const [r] = await sqlFor(em).read<Record<string, unknown>>(
    'select id, user_id, email, name, stripe_customer_id, created_at from customers where id = ?',
    [id],
  );
  if (!r) return null;
  return {
    id: String(r.id),
    userId: String(r.user_id),
    email: String(r.email),
    name: r.name == null ? null : String(r.name),
    stripeCustomerId: r.stripe_customer_id == null ? null : String(r.stripe_customer_id),
    createdAt: readDate(r.created_at),
  };
}

/** Records the customer's Stripe customer: one statement, where the entity manager's flush took three. */
export async function linkStripeCustomer(
  em: EntityManager,
  id: string,
  stripeCustomerId: string,
  at: Date,
): Promise<void> {
  const sql = sqlFor(em);
  await sql.write('update customers set stripe_customer_id = ?, updated_at = ? where id = ?', [
    stripeCustomerId,
    sql.date(at),
    id,
  ]);
}
