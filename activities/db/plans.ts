import { planBriefOfPrice } from '../../db/plan-prices';
import type { ActivityDeps } from '../deps';

/** Plan lookups the subscription workflow needs when Stripe, not the engine, chose the price. */
export function createPlanActivities({ orm }: ActivityDeps) {
  /** The plan code a Stripe plan price belongs to; null for a price the catalog does not know. */
  async function planCodeOfPrice(priceId: string): Promise<{ planCode: string; planId: string } | null> {
    const owner = await planBriefOfPrice(orm.em.fork(), priceId);
    return owner ? { planCode: owner.code, planId: owner.planId } : null;
  }
  return { planCodeOfPrice };
}
