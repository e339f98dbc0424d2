import type { Cents } from './money';
import { lineFor, lineKey, POOL_LINE_KEY, type RateLine } from './rate-card';
import { rateUsage } from './rate-card-rating';

/** Most usage lines one what-if may add, and most units each: the engine's per-request limit. */
export const MAX_WHAT_IF_LINES = 20;
export const MAX_WHAT_IF_UNITS = 10_000_000;

/**
 * Hypothetical usage an admin asks about: units of a type, of a model and a direction (a token kind) when
 * the rate card prices by them.
 */
export interface WhatIfUsage {
  type: string;
  units: number;
  model?: string;
  direction?: string;
}

/** Where the customer's period stands, as the usage view computes it. */
export interface PeriodStanding {
  /** The customer's effective rate card (pool line first). */
  lines: readonly RateLine[];
  /** Billable units per line key so far (the pool's already less what prepaid credits paid). */
  unitsByKey: ReadonlyMap<string, number>;
  /** Units counted against the pool this period, prepaid-paid ones included, and the period's included credits. */
  poolUsed: number;
  included: number;
  /** Pool units prepaid credits paid this period, and the prepaid balance left to pay more. */
  prepaidUsed: number;
  prepaidLeft: number;
}

/**
 * What the period's usage would cost with `extra` on top, in the order credits pay: the pool's included
 * credits first, then prepaid credits, the rest at the card's prices; a type a line of its own prices is
 * never paid by credits. Answers the cost before and after, both rated as the rollup rates them (each
 * line on its period total, rounded once), and their difference: what the next invoice would bill more.
 */
export function whatIfCost(
  standing: PeriodStanding,
  extra: readonly WhatIfUsage[],
): { beforeCents: Cents; afterCents: Cents; extraCents: Cents } {
  const after = new Map(standing.unitsByKey);
  let poolExtra = 0;
  for (const u of extra) {
    const line = lineFor(standing.lines, {
      type: u.type,
      byok: false,
      metadata: {
        ...(u.model !== undefined && { model: u.model }),
        ...(u.direction !== undefined && { direction: u.direction }),
      },
    });
    if (!line) continue;
    const key = lineKey(line);
    if (key === POOL_LINE_KEY) poolExtra += u.units;
    else after.set(key, (after.get(key) ?? 0) + u.units);
  }
  if (poolExtra > 0) {
    const beyond = (used: number) => Math.max(0, used - standing.included - standing.prepaidUsed);
    // Units past the included credits go to prepaid credits while they last; only the rest is billed.
    const newlyBeyond = beyond(standing.poolUsed + poolExtra) - beyond(standing.poolUsed);
    const prepaidPays = Math.min(Math.max(0, standing.prepaidLeft), newlyBeyond);
    after.set(POOL_LINE_KEY, (after.get(POOL_LINE_KEY) ?? 0) + poolExtra - prepaidPays);
  }
  const beforeCents = rateUsage(standing.lines, standing.unitsByKey).cents;
  const afterCents = rateUsage(standing.lines, after).cents;
  return { beforeCents, afterCents, extraCents: afterCents - beforeCents };
}
