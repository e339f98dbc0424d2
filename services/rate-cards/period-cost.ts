import type { EntityManager } from '@mikro-orm/core';
import { rolledUnitsByLine, unrolledEventsSince } from '../../db/period-line-usage';
import { num, readBool, readJsonObject, sqlFor } from '../../db/raw-sql';
import { lineKey, POOL_LINE_KEY, type RateLine } from '../../domain/rate-card';
import { pricedParts } from '../../domain/token-parts';
import { rateUsage, type RatedLine } from '../../domain/rate-card-rating';
import type { Cents } from '../../domain/money';

/** A rated line of a period with the line's terms, as the usage views show it. */
export interface PeriodCostLine extends RatedLine {
  line: RateLine;
}

export interface PeriodCost {
  lines: PeriodCostLine[];
  cents: Cents;
}

/**
 * A customer's usage cost of the period starting at `periodStart`, per line of their effective card
 * (pool first). The pool's units are what the credits arithmetic counts (`poolUnits`: used less prepaid);
 * the other lines' units are their rollups of the period and the events not yet rolled up, each placed on
 * its line (or its token kinds on theirs) as the rollup would place it. Only a plan with lines of its own
 * reads anything.
 */
export async function periodCost(
  em: EntityManager,
  customerId: string | null,
  lines: readonly RateLine[],
  periodStart: Date,
  poolUnits: number,
): Promise<PeriodCost> {
  const units = new Map<string, number>([[POOL_LINE_KEY, poolUnits]]);
  if (customerId && lines.length > 1) {
    const sql = sqlFor(em);
    const rolled = await rolledUnitsByLine(sql, customerId, periodStart, POOL_LINE_KEY);
    for (const r of rolled) units.set(r.line_key, (units.get(r.line_key) ?? 0) + num(r.n));
    const pending = await unrolledEventsSince(sql, customerId, periodStart);
    for (const e of pending) {
      const parts = pricedParts(lines, {
        type: e.type,
        byok: readBool(e.byok),
        metadata: readJsonObject(e.metadata),
        quantity: num(e.q),
        paidAhead: num(e.prepaid),
      });
      for (const part of parts) {
        const key = lineKey(part.line);
        if (key !== POOL_LINE_KEY) units.set(key, (units.get(key) ?? 0) + part.units);
      }
    }
  }
  const rated = rateUsage(lines, units);
  const byKey = new Map(lines.map((l) => [lineKey(l), l]));
  return {
    lines: rated.lines.map((r) => ({ ...r, line: byKey.get(r.key) as RateLine })),
    cents: rated.cents,
  };
}
