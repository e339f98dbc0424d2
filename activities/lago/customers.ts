import { lagoCall } from './errors';
import type { LagoClient } from '../../integrations/lago/client';

export interface LagoCustomerInput {
  customerId: string;
  email: string;
  name?: string | null;
}

export interface LagoCustomerSynced {
  skipped: false;
  lagoCustomerId: string;
}

/** Upserts the Lago customer whose external_id is our customer id; Lago's create is an upsert, so a retry is safe. */
export async function syncCustomer(lago: LagoClient, input: LagoCustomerInput): Promise<LagoCustomerSynced> {
  const { customer } = await lagoCall(() =>
    lago.customers.createCustomer({
      customer: { external_id: input.customerId, email: input.email, name: input.name ?? null },
    }),
  );
  return { skipped: false, lagoCustomerId: customer.lago_id };
}
