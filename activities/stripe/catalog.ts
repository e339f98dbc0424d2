import type { ActivityDeps } from '../deps';
import { changesIn, syncCatalog } from '../../integrations/stripe/catalog-sync';
import { stripeCall } from './errors';
import { requireStripe } from './require-stripe';

/** The catalog sync as an activity, so a plan change reaches Stripe even while Stripe is briefly down. */
export function createStripeCatalogActivities(deps: ActivityDeps) {
  async function syncStripeCatalog(): Promise<{ changes: number }> {
    const steps = await stripeCall(() => syncCatalog(requireStripe(deps), deps.orm));
    return { changes: changesIn(steps) };
  }
  return { syncStripeCatalog };
}
