import type { MikroORM } from '@mikro-orm/core';
import type Stripe from 'stripe';
import { changesIn, syncCatalog, type SyncStep } from '../../integrations/stripe/catalog-sync';

/**
 * Makes the Stripe account match the plan catalog now, without Temporal, so it also runs before any worker
 * does (`npm run stripe:sync`, `npm run dev`, the benchmarks); with dryRun it only says what it would do.
 * A plan changed later reaches Stripe through the catalog-sync workflow, whose activity runs the same sync.
 */
export async function syncCatalogToStripe(
  deps: { stripe: Stripe; orm: MikroORM },
  opts: { dryRun?: boolean; onStep?: (s: SyncStep) => void } = {},
): Promise<{ steps: SyncStep[]; changes: number }> {
  const steps = await syncCatalog(deps.stripe, deps.orm, opts);
  return { steps, changes: changesIn(steps) };
}
