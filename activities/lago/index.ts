import { createLagoClient, type LagoSettings } from '../../integrations/lago/client';
import { syncCustomer, type LagoCustomerInput, type LagoCustomerSynced } from './customers';
import { syncSubscription, type LagoSubscriptionInput, type LagoSubscriptionSynced } from './subscriptions';
import { skipped, type LagoSkipped } from './types';
import { sendUsage, type LagoUsageEvent, type LagoUsageSent } from './usage';

export type { LagoCustomerInput, LagoCustomerSynced } from './customers';
export type { LagoSubscriptionAction, LagoSubscriptionInput, LagoSubscriptionSynced } from './subscriptions';
export type { LagoSkipped } from './types';
export { LAGO_BATCH_LIMIT, type LagoUsageEvent, type LagoUsageSent } from './usage';

/**
 * Lago activities. Lago is optional: without settings every activity is a no-op answering
 * `{ skipped: true }`, so workflows call them unconditionally.
 */
export function createLagoActivities(settings: LagoSettings | null) {
  const lago = settings ? createLagoClient(settings) : null;

  /** Upserts the Lago customer for our customer (external_id = our customer id). */
  async function syncLagoCustomer(input: LagoCustomerInput): Promise<LagoSkipped | LagoCustomerSynced> {
    return lago ? syncCustomer(lago, input) : skipped();
  }

  /** Brings the Lago subscription (external_id = our subscription id) in line with our status and tier. */
  async function syncLagoSubscription(
    input: LagoSubscriptionInput,
  ): Promise<LagoSkipped | LagoSubscriptionSynced> {
    return lago ? syncSubscription(lago, input) : skipped();
  }

  /** Reports usage events to Lago in batches; events Lago already has count as done. */
  async function sendLagoUsageBatch(events: LagoUsageEvent[]): Promise<LagoSkipped | LagoUsageSent> {
    return lago ? sendUsage(lago, events) : skipped();
  }

  return { syncLagoCustomer, syncLagoSubscription, sendLagoUsageBatch };
}
