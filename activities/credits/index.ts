import type { ActivityDeps } from '../deps';
import { createAutoTopUpOffActivities } from './auto-top-up-off';
import { createPurchaseActivities } from './purchase';
import { createTopUpActivities } from './top-up';

export { voidRefundedSoFar, type PurchaseGrant } from './purchase';
export type { TopUpOutcome, TopUpTry } from './top-up-outcome';

/** Buying credits, by Checkout or automatically, and turning automatic top-ups off. */
export function createCreditActivities(deps: ActivityDeps) {
  return {
    ...createPurchaseActivities(deps),
    ...createTopUpActivities(deps),
    ...createAutoTopUpOffActivities(deps),
  };
}
