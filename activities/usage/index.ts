import { BYOK_ROLLUP_MARK } from '../../domain/usage';
import type { UsageActivityDeps } from './deps';
import { createLagoReportActivities } from './report-lago';
import { createStripeReportActivities } from './report-stripe';
import { createRollupActivities } from './rollup';

export type { ReportResult, UsageActivityDeps } from './deps';
export type { RollupResult } from './rollup';

/** Activities of the usage rollup workflow: fold events into rollups, report those to Stripe and Lago. */
export function createUsageActivities(deps: UsageActivityDeps) {
  return {
    ...createRollupActivities(deps),
    ...createStripeReportActivities(deps),
    ...createLagoReportActivities(deps),
  };
}

export type UsageActivities = ReturnType<typeof createUsageActivities>;

// Events on a customer's own key are stored with this mark and never rolled up or billed.
export { BYOK_ROLLUP_MARK };
