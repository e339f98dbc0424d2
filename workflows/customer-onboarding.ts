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

/** How a run is asked to onboard: its Stripe customer too, and its steps local from the start. */
export interface OnboardingOptions {
  withStripe: boolean;
  /**
   * Set by every caller since: the run makes its steps locally without asking ONBOARDING_LOCAL. A patch a
   * run asks is a marker and an upsert of the TemporalChangeVersion search attribute, a write of the run's
   * visibility record, and a sign-up waits on this run. Absent in runs begun before, which ask the patch
   * as their histories have it.
   */
  local?: true;
}

/**
 * Makes sure a signed-in identity has its customer record (and Stripe customer); id `customer-<userId>`.
 * A sign-in no longer starts it (`services/customers/onboard.ts` does the same two steps itself); it stays
 * registered for the runs an API of an earlier version starts while a deployment rolls, and their replays.
 */
export async function customerOnboarding(
  input: CustomerInput,
  opts: OnboardingOptions = { withStripe: false },
): Promise<CustomerRecord> {
  const isLocal = opts.local === true || patched(ONBOARDING_LOCAL);
  const record = await (isLocal ? dbLocal.upsertCustomer : upsertCustomer)(input);
  if (!opts.withStripe) return record;
  const stripeCustomerId = await (isLocal ? stripeLocal.ensureStripeCustomer : ensureStripeCustomer)(
    record.customerId,
  );
  return { ...record, stripeCustomerId };
}
