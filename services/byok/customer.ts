import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core';
import { Customer } from '../../db/entities';
import { newId } from '../../db/ids';
import { conflict } from '../../domain/errors';
import type { Identity } from '../../domain/identity';

/**
 * The caller's customer, created on the spot when missing: storing a key needs a customer row, and
 * onboarding (which also creates the Stripe customer) may not have run yet. It will find this row and
 * complete it.
 */
export async function findOrCreateCustomer(em: EntityManager, identity: Identity): Promise<Customer> {
  const existing = await em.findOne(Customer, { userId: identity.sub });
  if (existing) return existing;
  const fresh = em.fork();
  fresh.create(Customer, {
    id: newId('cust'),
    userId: identity.sub,
    email: identity.email,
    name: identity.name,
    roles: identity.roles,
  });
  try {
    await fresh.flush();
  } catch (err) {
    // A concurrent request won the race; its row is the answer. Any other clash is on the email.
    if (!(err instanceof UniqueConstraintViolationException)) throw err;
  }
  const customer = await em.findOne(Customer, { userId: identity.sub });
  if (!customer)
    throw conflict('customer_email_exists', 'Another account already uses this email for billing', {
      field: 'email',
    });
  return customer;
}
