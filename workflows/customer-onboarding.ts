import { patched, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities, CustomerInput, CustomerRecord } from '../activities';
import {
  dbActivityOptions,
  dbLocalOptions,
  stripeCallLocalOptions,
  stripeCallOptions,
} from './activity-options';

const { upsertCustomer } = proxyActivities<Activities>(dbActivityOptions);
const { ensureStripeCustomer } = proxyActivities<Activities>(stripeCallOptions);
const dbLocal = proxyLocalActivities<Activities>(dbLocalOptions);
const stripeLocal = proxyLocalActivities<Activities>(stripeCallLocalOptions);

/**
 * The patch after which both steps are local activities: a sign-in waits on this workflow, and each
 * activity task was a round trip through the server and a workflow task more (three tasks, now one).
 */
export const ONBOARDING_LOCAL = 'onboarding-local';

/** Makes sure a signed-in identity has its customer record (and Stripe customer); id `customer-<userId>`. */
export async function customerOnboarding(
  input: CustomerInput,
  opts: { withStripe: boolean } = { withStripe: false },
): Promise<CustomerRecord> {
  const isLocal = patched(ONBOARDING_LOCAL);
  const record = await (isLocal ? dbLocal.upsertCustomer : upsertCustomer)(input);
  if (!opts.withStripe) return record;
  const stripeCustomerId = await (isLocal ? stripeLocal.ensureStripeCustomer : ensureStripeCustomer)(
    record.customerId,
  );
  return { ...record, stripeCustomerId };
}
