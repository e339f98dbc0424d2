import { proxyActivities } from '@temporalio/workflow';
import type { Activities, CustomerInput, CustomerRecord } from '../activities';
import { dbActivityOptions, stripeCallOptions } from './activity-options';

const { upsertCustomer } = proxyActivities<Activities>(dbActivityOptions);
const { ensureStripeCustomer } = proxyActivities<Activities>(stripeCallOptions);

/** Makes sure a signed-in identity has its customer record (and Stripe customer); id `customer-<userId>`. */
export async function customerOnboarding(
  input: CustomerInput,
  opts: { withStripe: boolean } = { withStripe: false },
): Promise<CustomerRecord> {
  const record = await upsertCustomer(input);
  if (!opts.withStripe) return record;
  return { ...record, stripeCustomerId: await ensureStripeCustomer(record.customerId) };
}
