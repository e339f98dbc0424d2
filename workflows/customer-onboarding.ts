import { proxyActivities } from '@temporalio/workflow';
import type { Activities, CustomerInput, CustomerRecord } from '../activities';
import { dbActivityOptions } from './activity-options';

const { upsertCustomer } = proxyActivities<Activities>(dbActivityOptions);

/** Makes sure a signed-in identity has its customer record; workflow id `customer-<userId>`. */
export async function customerOnboarding(input: CustomerInput): Promise<CustomerRecord> {
  return upsertCustomer(input);
}
