import type { EntityManager } from '@mikro-orm/core';
import { newId } from './ids';
import { asDriverError, sqlFor } from './raw-sql';

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
