import type { EntityManager } from '@mikro-orm/core';
import { recordAudit } from '../../db/audit';
import { allModelRates, readMarginFloor } from '../../db/model-costs';
import { conflict } from '../../domain/errors';
import type { Identity } from '../../domain/identity';
import { dayOf } from '../../domain/model-costs/costs';
import { describeBreach, marginFloorBreaches, type FloorBreach } from '../../domain/model-costs/margin-floor';
import type { RateLine } from '../../domain/rate-card';

/** How a plan's rate card is being published: when, and an admin's reason to sell below the floor. */
export interface Publishing {
  now: Date;
  marginOverrideReason?: string;
}

const breachImage = (b: FloorBreach) => ({
  line: b.line,
  model: b.model,
  kind: b.kind,
  price_per_million_cents: b.pricePerMillionCents,
  cost_per_million_cents: b.costPerMillionCents,
  cost_from: b.costFrom,
  margin_percent: b.marginPercent,
});

/**
 * Refuses a rate card that sells a model's tokens below the margin floor (409 `margin_below_floor` on the
 * first line at fault, every one in the details), unless an admin gives a reason, which is audited with
 * what it let through. Stored with the plan's own change, so a refused card leaves no trace.
 * A line kept unchanged from the card already published is not judged again: a later cost or floor
 * never blocks sending back what was sold.
 */
export async function checkMarginFloor(
  em: EntityManager,
  actor: Identity,
  planCode: string,
  card: readonly RateLine[],
  publishing: Publishing,
  /** The card already published: its lines, sent again unchanged, were judged then and are not again. */
  published: readonly RateLine[] = [],
): Promise<void> {
  if (card.length === 0) return;
  const [rates, floor] = await Promise.all([allModelRates(em), readMarginFloor(em)]);
  const kept = new Set(published.map((l) => JSON.stringify(l)));
  const breaches = marginFloorBreaches(card, rates, dayOf(publishing.now), floor.percent).filter(
    (b) => !kept.has(JSON.stringify(card[b.index])),
  );
  const [first] = breaches;
  if (!first) return;
  const reason = publishing.marginOverrideReason?.trim();
  if (!reason) {
    const more = breaches.length > 1 ? ` (and ${breaches.length - 1} more line(s))` : '';
    throw conflict('margin_below_floor', `${describeBreach(first)}${more}`, {
      field: `rate_card.${first.index}`,
      model: first.model,
      margin_percent: first.marginPercent,
      floor_percent: floor.percent,
      breaches: breaches.map(breachImage),
    });
  }
  recordAudit(em, {
    actor,
    action: 'plan.margin_override',
    entityType: 'plan',
    entityId: planCode,
    before: null,
    after: { reason, floor_percent: floor.percent, breaches: breaches.map(breachImage) },
  });
}
