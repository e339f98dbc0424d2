/**
 * What this process counted since each customer's last look at their alerts, so a report looks only when
 * its units may have crossed something (services/credits/alerts.ts, domain unitsToNextAlert).
 */

/**
 * How long a look's count of the units to the next crossing is trusted. Usage another process took, and a
 * threshold, grant, cap or plan changed elsewhere, are seen within this time; this process's own changes
 * at once (forgetAlertLook).
 */
export const TRUST_COUNT_MS = 60_000;
const MAX_REMEMBERED = 50_000;

/**
 * Since a customer's last look: the units it found to the next crossing (null: none lies ahead), the units
 * this process was told of since the look began, and until when the count holds: `changesAt` on the
 * business clock (the period's end, a grant's expiry), `trustedUntil` on this process's monotonic clock.
 * While a look runs it holds nothing yet: units come in and are counted against what it finds.
 */
interface Counted {
  unitsToNext: number | null;
  since: number;
  changesAt: number;
  trustedUntil: number;
}
const counted = new Map<string, Counted>();

/** What this process counts for a customer since their last look (none before one, or once forgotten). */
export function alertCount(customerId: string): { unitsToNext: number | null; since: number } | null {
  const c = counted.get(customerId);
  return c ? { unitsToNext: c.unitsToNext, since: c.since } : null;
}

/** This process changed what a customer's alerts compare (a threshold, a grant, a cap): look again. */
export function forgetAlertLook(customerId: string): void {
  counted.delete(customerId);
}

/** Counts `units` reported for a customer; answers whether those since their last look may cross something. */
export function mayCross(customerId: string, units: number, now: Date): boolean {
  const c = counted.get(customerId);
  if (!c) return true;
  c.since += units;
  if (now.getTime() >= c.changesAt || performance.now() >= c.trustedUntil) return true;
  return c.unitsToNext !== null && c.since >= c.unitsToNext;
}

/** A look at a customer's alerts begins: units reported from now on are counted against what it finds. */
export function beginLook(customerId: string): {
  /** What it found; answers whether the units told of meanwhile already call for another look. */
  found(unitsToNext: number | null, changesAt: number, now: Date): boolean;
  failed(): void;
} {
  const during: Counted = { unitsToNext: null, since: 0, changesAt: Infinity, trustedUntil: Infinity };
  if (counted.size >= MAX_REMEMBERED) counted.clear();
  counted.set(customerId, during);
  return {
    found(unitsToNext, changesAt, now) {
      // Forgotten while it looked (a change made meanwhile): the next report looks again.
      if (counted.get(customerId) !== during) return false;
      during.unitsToNext = unitsToNext;
      during.changesAt = changesAt;
      during.trustedUntil = performance.now() + TRUST_COUNT_MS;
      return mayCross(customerId, 0, now);
    },
    failed() {
      if (counted.get(customerId) === during) counted.delete(customerId);
    },
  };
}
