import { upsertCustomerRow } from '../../db/customer-records';
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
    return upsertCustomerRow(orm.em.fork(), input);
  }

  return { upsertCustomer };
}
