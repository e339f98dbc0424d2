import type { EntityManager } from '@mikro-orm/core';
import { Customer } from './entities';
import { perDatabase } from './per-database';
import { readDate, readJsonList, sqlFor } from './raw-sql';
import type { CustomerFields } from '../domain/customer-record';

/**
 * Who a caller is, in plain SQL with typed row mapping (no entity manager fork, no hydration): the
 * dashboard and the AI gateway ask on every request.
 */

/**
 * A caller's customer id by their identity's subject, cached per database: a customer row is created once
 * and keeps its id and user id, so a hit never goes stale. Misses are not cached, so a customer created
 * later is found on the next read.
 */
const customerIdsOf = perDatabase(() => new Map<string, string>());
const CACHED_CUSTOMERS = 50_000;

export async function customerIdOf(em: EntityManager, userId: string): Promise<string | null> {
  const cache = customerIdsOf(em);
  const hit = cache.get(userId);
  if (hit !== undefined) return hit;
  const [row] = await sqlFor(em).read<{ id: string }>('select id from customers where user_id = ?', [userId]);
  if (!row) return null;
  if (cache.size >= CACHED_CUSTOMERS) cache.clear();
  cache.set(userId, row.id);
  return row.id;
}

/** A caller's record as onboarding left it, by their identity's subject; null before their first sign-in. */
export async function customerOfUser(
  em: EntityManager,
  userId: string,
): Promise<(CustomerFields & { id: string; stripeCustomerId: string | null }) | null> {
  const [r] = await sqlFor(em).read<Record<string, unknown>>(
    'select id, email, name, roles, stripe_customer_id from customers where user_id = ?',
    [userId],
  );
  if (!r) return null;
  return {
    id: String(r.id),
    email: String(r.email),
    name: r.name == null ? null : String(r.name),
    roles: readJsonList(r.roles),
    stripeCustomerId: r.stripe_customer_id == null ? null : String(r.stripe_customer_id),
  };
}

/** A customer as the reads name it: our id, the identity provider's id and the email. */
export interface CustomerRef {
  id: string;
  userId: string | null;
  email: string;
}

/** A customer named by email, or by user id (the identity provider's id, or our customer id). */
export async function customerByRef(
  em: EntityManager,
  ref: { email?: string; userId?: string },
): Promise<CustomerRef | null> {
  const sql = sqlFor(em);
  const rows =
    ref.email !== undefined
      ? await sql.read<Record<string, unknown>>('select id, user_id, email from customers where email = ?', [
          ref.email,
        ])
      : ref.userId !== undefined
        ? // Two lookups, each on its own unique key, rather than `user_id = ? or id = ?`: PostgreSQL plans
          // that OR as a scan of the whole table while it is small, and may keep the plan as it grows.
          await sql.read<Record<string, unknown>>(
            `select id, user_id, email from (
               select id, user_id, email, 0 as by_id from customers where user_id = ?
               union all
               select id, user_id, email, 1 as by_id from customers where id = ?
             ) c order by by_id limit 1`,
            [ref.userId, ref.userId],
          )
        : [];
  const r = rows[0];
  return r
    ? { id: r.id as string, userId: (r.user_id as string | null) ?? null, email: r.email as string }
    : null;
}

/**
 * The customer id a gateway's reference names, or null. One named by user id is cached per database, as
 * customerIdOf is (an id and a user id never change); one named by email is read each time, since an email
 * can move to another customer.
 */
const customerIdsOfRef = perDatabase(() => new Map<string, string>());

export async function customerIdOfRef(
  em: EntityManager,
  ref: { email?: string; userId?: string },
): Promise<string | null> {
  if (ref.email !== undefined || ref.userId === undefined) return (await customerByRef(em, ref))?.id ?? null;
  const cache = customerIdsOfRef(em);
  const hit = cache.get(ref.userId);
  if (hit !== undefined) return hit;
  const customer = await customerByRef(em, { userId: ref.userId });
  if (!customer) return null;
  if (cache.size >= CACHED_CUSTOMERS) cache.clear();
  cache.set(ref.userId, customer.id);
  return customer.id;
}

/** A customer's email, or null when there is no such customer. */
export async function emailOfCustomer(em: EntityManager, customerId: string): Promise<string | null> {
  return (await em.findOne(Customer, { id: customerId }, { fields: ['email'] }))?.email ?? null;
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
  // Two fixed texts, one per key: nothing of the caller's reaches the SQL but the bound value.
  const [row] = await sqlFor(em).read<{ id: string; user_id: string }>(
    'customerId' in by
      ? 'select id, user_id from customers where id = ?'
      : 'select id, user_id from customers where email = ?',
    ['customerId' in by ? by.customerId : by.email],
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
