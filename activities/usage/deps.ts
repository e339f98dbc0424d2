import { clockOf, type Clock } from '../../domain/clock';
import type { ActivityDeps } from '../deps';
import type { LagoSkipped, LagoUsageEvent, LagoUsageSent } from '../lago';

export interface UsageActivityDeps extends ActivityDeps {
  /** Lago's batch sender (createLagoActivities(settings).sendLagoUsageBatch); absent means Lago is off. */
  sendLagoUsageBatch?: (events: LagoUsageEvent[]) => Promise<LagoSkipped | LagoUsageSent>;
  /**
   * Test seam: runs after a batch reached Stripe or Lago and before it is marked as reported, which is
   * where a crash must not lead to double billing.
   */
  afterReport?: (system: 'stripe' | 'lago', identifiers: string[]) => Promise<void>;
  /** The clock in epoch milliseconds (tests move it); absent: the deps' clock (domain/clock.ts). */
  now?: () => number;
}

/** The usage activities' clock: `now` when a test gives one, else the deps' clock. */
export function usageClock(deps: UsageActivityDeps): Clock {
  const epochMs = deps.now;
  return epochMs ? { now: () => new Date(epochMs()) } : clockOf(deps);
}

export interface ReportResult {
  skipped: boolean;
  reported: number;
  /** Rollups the receiver refused for good (e.g. a customer deleted in Stripe); retried next cycle. */
  failed: number;
  more: boolean;
}
