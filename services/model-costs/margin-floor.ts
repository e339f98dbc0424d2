import type { EntityManager } from '@mikro-orm/core';
import { recordAudit } from '../../db/audit';
import { allModelRates, readMarginFloor } from '../../db/model-costs';
import { conflict } from '../../domain/errors';
import type { Identity } from '../../domain/identity';
import { dayOf } from '../../domain/model-costs/costs';
import { COST_CURRENCY } from '../../domain/model-costs/catalogue';
import { conversion } from '../../domain/currency/exchange-rates';
import { readExchangeRates } from '../../db/exchange-rates';
import { describeBreach, marginFloorBreaches, type FloorBreach } from '../../domain/model-costs/margin-floor';
import type { RateLine } from '../../domain/rate-card';

/** How a plan's rate card is being published: when, and an admin's reason to sell below the floor. */
export interface Publishing {
  now: Date;
  marginOverrideReason?: string;
}

const breachImage = (b: FloorBreach & { field: string }) => ({
  line: b.line,
  field: b.field,
  model: b.model,
  kind: b.kind,
  currency: b.currency,
  price_per_million_cents: b.pricePerMillionCents,
  cost_per_million_cents: b.costPerMillionCents,
  cost_from: b.costFrom,
  margin_percent: b.marginPercent,
});

/** One rate card of a plan as published: its currency, where it sits in the request, and what it replaces. */
export interface PublishedCard {
  currency: string;
  card: readonly RateLine[];
  /** The request's field of the card: `rate_card`, or `currency_prices.eur.rate_card`. */
  field: string;
  /** The card already published: its lines, sent again unchanged, were judged then and are not again. */
  published?: readonly RateLine[];
}

/**
 * Refuses rate cards that sell a model's tokens below the margin floor (409 `margin_below_floor` on the
 * first line at fault, every one in the details), unless an admin gives a reason, which is audited with
 * what it let through. Stored with the plan's own change, so a refused card leaves no trace. A card in
 * another currency than the catalogue's is judged at the admin's exchange rate, and not at all without one.
 * A line kept unchanged from the card already published is not judged again: a later cost or floor
 * never blocks sending back what was sold.
 */
export async function checkMarginFloor(
  em: EntityManager,
  actor: Identity,
  planCode: string,
  cards: readonly PublishedCard[],
  publishing: Publishing,
): Promise<void> {
  if (cards.every((c) => c.card.length === 0)) return;
  // Rates are read only when a card is in another currency than the catalogue's.
  const foreign = cards.some((c) => c.currency !== COST_CURRENCY && c.card.length > 0);
  const [rates, floor, exchange] = await Promise.all([
    allModelRates(em),
    readMarginFloor(em),
    foreign ? readExchangeRates(em) : { reportingCurrency: COST_CURRENCY, rates: {} },
  ]);
  const today = dayOf(publishing.now);
  const breaches = cards.flatMap((c) => {
    const into = conversion(exchange, COST_CURRENCY, c.currency);
    if (!into) return [];
    const kept = new Set((c.published ?? []).map((l) => JSON.stringify(l)));
    return marginFloorBreaches(c.card, rates, today, floor.percent, into)
      .filter((b) => !kept.has(JSON.stringify(c.card[b.index])))
      .map((b) => ({ ...b, field: `${c.field}.${b.index}` }));
  });
  const [first] = breaches;
  if (!first) return;
  const reason = publishing.marginOverrideReason?.trim();
  if (!reason) {
    const more = breaches.length > 1 ? ` (and ${breaches.length - 1} more line(s))` : '';
    throw conflict('margin_below_floor', `${describeBreach(first)}${more}`, {
      field: first.field,
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
