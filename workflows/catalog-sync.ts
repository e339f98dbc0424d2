import { proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { stripeCallOptions } from './activity-options';
import { catalogChanged } from './messages';

const { syncStripeCatalog } = proxyActivities<Activities>(stripeCallOptions);

/**
 * Brings Stripe's products and prices in line with the plan catalog (id `catalog-sync`). Started with a
 * signal on every plan change; a change that lands during a sync causes one more pass, none is lost.
 */
export async function catalogSyncWorkflow(): Promise<number> {
  let dirty = true;
  let passes = 0;
  setHandler(catalogChanged, () => void (dirty = true));
  while (dirty) {
    dirty = false;
    await syncStripeCatalog();
    passes++;
  }
  return passes;
}
