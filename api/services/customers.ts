import type { EntityManager } from '@mikro-orm/core';
import { Customer } from '../../db/entities';
import type { Identity } from '../auth/identity';

/** The caller's customer record, or null before their first billing action. */
export function findCustomerFor(em: EntityManager, identity: Identity): Promise<Customer | null> {
  return em.findOne(Customer, { userId: identity.sub });
}
