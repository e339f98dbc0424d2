import { ApplicationFailure } from '@temporalio/activity';
import { grantsAccess, isFinal, type SubscriptionStatus } from '../../domain/subscription-status';
import type { LagoClient } from '../../integrations/lago/client';
import { lagoCall } from './errors';
import { FAILURE } from '../../domain/failure-types';

export interface LagoSubscriptionInput {
  subscriptionId: string;
  customerId: string;
  /** The tier; Lago plans carry the engine's plan codes. */
  planCode: string;
  status: SubscriptionStatus;
}

export type LagoSubscriptionAction =
  | 'created'
  | 'unchanged'
  | 'plan_changed'
  | 'terminated'
  | 'already_terminated'
  /** incomplete, suspended, paused: no access now, but not over either, so Lago keeps what it has. */
  | 'left_alone';

export interface LagoSubscriptionSynced {
  skipped: false;
  action: LagoSubscriptionAction;
}

// The client puts ids into paths as they are.
const enc = encodeURIComponent;

async function create(lago: LagoClient, input: LagoSubscriptionInput): Promise<'created' | 'unchanged'> {
  const outcome = await lagoCall(
    () =>
      lago.subscriptions.createSubscription({
        subscription: {
          external_id: input.subscriptionId,
          external_customer_id: input.customerId,
          plan_code: input.planCode,
          // Periods that start when the subscription does, as Stripe's do, so usage lines up with invoices.
          billing_time: 'anniversary',
        },
      }),
    // An earlier attempt got there first: the subscription exists, which is what we wanted.
    (err) => (err.alreadyExists('external_id') ? ('exists' as const) : undefined),
  );
  return outcome === 'exists' ? 'unchanged' : 'created';
}

/** Terminates the active Lago subscription; a 404 means an earlier attempt (or an operator) already did. */
async function terminate(
  lago: LagoClient,
  subscriptionId: string,
): Promise<'terminated' | 'already_terminated'> {
  const outcome = await lagoCall(
    () => lago.subscriptions.destroySubscription(enc(subscriptionId)),
    (err) => (err.status === 404 ? ('gone' as const) : undefined),
  );
  return outcome === 'gone' ? 'already_terminated' : 'terminated';
}

/**
 * Makes Lago's subscription follow ours. A tier change terminates the Lago subscription and creates it
 * again on the new plan rather than using Lago's plan change: Lago would defer a downgrade to its own
 * next billing day, while the engine has already decided when the change takes effect. Termination
 * invoices the old plan's usage up to the change, and every step is checked first, so a retry resumes.
 */
export async function syncSubscription(
  lago: LagoClient,
  input: LagoSubscriptionInput,
): Promise<LagoSubscriptionSynced> {
  if (isFinal(input.status)) return { skipped: false, action: await terminate(lago, input.subscriptionId) };
  if (!grantsAccess(input.status)) return { skipped: false, action: 'left_alone' };

  const current = await lagoCall(
    () => lago.subscriptions.findSubscription(enc(input.subscriptionId)),
    (err) => (err.status === 404 ? null : undefined),
  );
  if (current && current.subscription.external_customer_id !== input.customerId) {
    // Our ids are unique, so this is a data problem for an operator; terminating it would stop another bill.
    throw ApplicationFailure.create({
      message: `Lago subscription ${input.subscriptionId} belongs to customer ${current.subscription.external_customer_id}`,
      type: FAILURE.invalidRequest,
      nonRetryable: true,
      details: [{ conflict: 'external_id', externalCustomerId: current.subscription.external_customer_id }],
    });
  }
  if (current?.subscription.plan_code === input.planCode) return { skipped: false, action: 'unchanged' };
  if (current) {
    await terminate(lago, input.subscriptionId);
    await create(lago, input);
    return { skipped: false, action: 'plan_changed' };
  }
  return { skipped: false, action: await create(lago, input) };
}
