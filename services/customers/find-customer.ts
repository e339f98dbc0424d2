import type { EntityManager } from '@mikro-orm/core';
import { Customer } from '../../db/entities';
import type { Identity } from '../../domain/identity';

/** The caller's customer record, or null before their first billing action. */
export function findCustomerFor(em: EntityManager, identity: Identity): Promise<Customer | null> {
  return em.findOne(Customer, { userId: identity.sub });
}

/** A customer named by email or by user id (the identity provider's id, or our customer id). */
export function findCustomerByRef(
  em: EntityManager,
  ref: { customer_email?: string; user_id?: string },
): Promise<Customer | null> {
  if (ref.customer_email !== undefined) return em.findOne(Customer, { email: ref.customer_email });
  if (ref.user_id !== undefined)
    return em.findOne(Customer, { $or: [{ userId: ref.user_id }, { id: ref.user_id }] });
  return Promise.resolve(null);
}
