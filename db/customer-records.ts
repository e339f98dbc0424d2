import type { EntityManager } from '@mikro-orm/core';
import { newId } from './ids';
import { asDriverError, readDate, sqlFor } from './raw-sql';

/** An identity's details as a sign-in gives them; an absent name or roles leave the stored ones. */
export interface CustomerIdentity {
  userId: string;
  email: string;
  name?: string | null;
  roles?: string[];
}

/**
 * Makes the identity's customer record, or refreshes its email, name and roles, in one statement (the
 * entity manager read the row, then wrapped its insert or update in a transaction). Two sign-ins at once
 * meet at the user id's unique key, and both answer the one row; an email another user holds is a unique
 * violation that stands.
 */
export async function upsertCustomerRow(
  em: EntityManager,
  input: CustomerIdentity,
): Promise<{ customerId: string; email: string; stripeCustomerId: string | null; created: boolean }> {
  const sql = sqlFor(em);
  const id = newId('cust');
  // The row's own timestamps, wall time as the entity stamps them.
  const at = new Date();
  const [r] = await asDriverError(
    em,
    sql.run<Record<string, unknown>>(
      `insert into customers (id, user_id, email, name, roles, created_at, updated_at, invoice_list_version)
     values (?, ?, ?, ?, ?, ?, ?, 0)
     on conflict (user_id) do update set
       email = excluded.email,
       name = case when ? then excluded.name else customers.name end,
       roles = case when ? then excluded.roles else customers.roles end,
       updated_at = excluded.updated_at
     returning id, email, stripe_customer_id`,
      [
        id,
        input.userId,
        input.email,
        input.name ?? null,
        JSON.stringify(input.roles ?? []),
        sql.date(at),
        sql.date(at),
        sql.bool(input.name !== undefined),
        sql.bool(input.roles !== undefined),
      ],
    ),
  );
  if (!r) throw new Error(`customer of ${input.userId} neither made nor found`);
  return {
    customerId: String(r.id),
    email: String(r.email),
    stripeCustomerId: r.stripe_customer_id == null ? null : String(r.stripe_customer_id),
    created: r.id === id,
  };
}

/** What making a customer's Stripe customer reads of them. */
export interface CustomerForStripe {
  id: string;
  userId: string;
  email: string;
  name: string | null;
  stripeCustomerId: string | null;
  createdAt: Date;
}

/** The customer's id and identity's user id, by our id or else by their email; null when there is none. */
export async function customerUserIdOf(
  em: EntityManager,
  by: { customerId: string } | { email: string },
): Promise<{ id: string; userId: string } | null> {
  const [row] =
    'customerId' in by
      ? await sqlFor(em).read<{ id: string; user_id: string }>(
          'select id, user_id from customers where id = ?',
          [by.customerId],
        )
      : await sqlFor(em).read<{ id: string; user_id: string }>(
          'select id, user_id from customers where email = ?',
          [by.email],
        );
  return row ? { id: String(row.id), userId: String(row.user_id) } : null;
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
): Promise<void> {
  const sql = sqlFor(em);
  const at = new Date();
  await asDriverError(
    em,
    sql.write('update customers set stripe_customer_id = ?, updated_at = ? where id = ?', [
      stripeCustomerId,
      sql.date(at),
      id,
    ]),
  );
}
