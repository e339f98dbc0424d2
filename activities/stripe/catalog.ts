import type { ActivityDeps } from '../deps';
import { syncCatalog } from './catalog-sync';
import { stripeCall } from './errors';
import { requireStripe } from './require-stripe';

/** The catalog sync as an activity, so a plan change reaches Stripe even while Stripe is briefly down. */
export function createStripeCatalogActivities(deps: ActivityDeps) {
  async function syncStripeCatalog(): Promise<{ changes: number }> {
    const steps = await stripeCall(() => syncCatalog(requireStripe(deps), deps.orm));
    return { changes: steps.filter((s) => s.action !== 'keep').length };
  }
  return { syncStripeCatalog };
}
