import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { Customer } from '../../db/entities';
import { newId } from '../../db/ids';
import type { ActivityDeps } from '../deps';

export interface CustomerInput {
  userId: string;
  email: string;
  name?: string | null;
  roles?: string[];
}

export interface CustomerRecord {
  customerId: string;
  email: string;
  stripeCustomerId: string | null;
  created: boolean;
}

/** Database activities for the customer record. */
export function createCustomerActivities({ orm }: ActivityDeps) {
  /** Creates the customer for an identity, or refreshes its email/name/roles; safe to retry. */
  async function upsertCustomer(input: CustomerInput): Promise<CustomerRecord> {
    const em = orm.em.fork();
    const existing = await em.findOne(Customer, { userId: input.userId });
    if (existing) {
      existing.email = input.email;
      if (input.name !== undefined) existing.name = input.name;
      if (input.roles) existing.roles = input.roles;
      await em.flush();
      return toRecord(existing, false);
    }
    const customer = em.create(Customer, {
      id: newId('cust'),
      userId: input.userId,
      email: input.email,
      name: input.name ?? null,
      roles: input.roles ?? [],
    });
    try {
      await em.flush();
    } catch (err) {
      // A concurrent attempt won the race: that row is the answer, not an error. Another user holding the
      // email is no race: the violation stands, and a retry cannot fix it (activities/failures.ts).
      if (!(err instanceof UniqueConstraintViolationException)) throw err;
      const winner = await orm.em.fork().findOne(Customer, { userId: input.userId });
      if (!winner) throw err;
      return toRecord(winner, false);
    }
    return toRecord(customer, true);
  }

  return { upsertCustomer };
}

function toRecord(c: Customer, created: boolean): CustomerRecord {
  return { customerId: c.id, email: c.email, stripeCustomerId: c.stripeCustomerId ?? null, created };
}
