import type { Cents } from './money';
import { rateUsage, type RatedLine } from './rate-card-rating';
import type { RateLine } from './rate-card';
import { previewProration } from './proration';
import { seatAmountCents, type SeatTiers } from './seats';

/**
 * An issued invoice explained line by line: what each amount bills, by which rule of which plan version,
 * from which usage, and whether the engine's rules, run again on the same inputs, come to the same cents.
 * The lines are Stripe's (it issued the invoice); the rules are the ones in `domain/`, so a line whose
 * recomputation differs is a regression in the billing code or an input changed after the fact.
 */

/** One line of an issued invoice as Stripe has it, with the ids it names. */
export interface IssuedLine {
  stripeLineId: string;
  description: string;
  quantity: number;
  amountCents: Cents;
  discountCents: Cents;
  taxCents: Cents;
  periodStart: string;
  periodEnd: string;
  proration: boolean;
  /** The price it bills; null for an item priced by amount alone. */
  priceId: string | null;
  /** The subscription item it bills, or the one-off invoice item it is. */
  subscriptionItemId: string | null;
  invoiceItemId: string | null;
}

/** The price a line bills, as the engine's catalogue knows it: a plan version's fee or its metered usage. */
export interface LinePrice {
  planId: string;
  planName: string;
  interval: 'month' | 'year';
  currency: string;
  role: 'plan' | 'usage';
  /** The plan's fee a cycle (a seat's, on a plan priced per seat); null when the plan has none in it. */
  unitCents: Cents | null;
  seatTiers: SeatTiers | null;
  /** The plan version's rate card in the currency, which rates a period's usage. */
  rateCard: RateLine[];
}

/** What the engine recorded of a period's usage: units by rate-card line, as rolled up. */
export interface PeriodUsage {
  unitsByLine: ReadonlyMap<string, number>;
}

export type ExplainedKind = 'plan' | 'usage' | 'proration' | 'one_time';

export type Recomputation =
  | { recomputedCents: Cents; matches: boolean }
  /** Stripe's own arithmetic or an amount the engine sent as is: shown, not recomputed. */
  | { recomputedCents: null; matches: null; why: string };

export interface ExplainedLine {
  line: IssuedLine;
  kind: ExplainedKind;
  price: LinePrice | null;
  /** The usage line's rating: each rate-card line's units and cents. */
  rated: RatedLine[] | null;
  recomputation: Recomputation;
}

/** What a line bills, from its price's role in the catalogue (no price: a one-off item). */
export function explainedKind(line: Pick<IssuedLine, 'proration'>, price: LinePrice | null): ExplainedKind {
  if (line.proration) return 'proration';
  if (!price) return 'one_time';
  return price.role;
}

/**
 * One line recomputed from its inputs:
 * - a plan fee is the plan version's price for the quantity (seat tiers applied as Stripe applies them);
 * - usage is the period's rolled-up units rated by the version's rate card, which the meter carried in
 *   cents, so the line's amount is that rating;
 * - a proration of a plan's fee is that fee's share of the billing period by the second, from the change
 *   (the line's start) to the period's end, rounded on its own line as Stripe rounds it (domain/proration.ts);
 *   a credit for unused time is negative. It needs the whole period the change fell in (`period`): without
 *   it, or for another price, it is shown as issued;
 * - a one-off item is an amount the engine sent (a top-up, a true-up): shown as issued.
 */
export function explainLine(
  line: IssuedLine,
  price: LinePrice | null,
  usage: PeriodUsage | null,
  period: BillingPeriod | null = null,
): ExplainedLine {
  const kind = explainedKind(line, price);
  if (kind === 'plan' && price) {
    if (price.unitCents === null)
      return { line, kind, price, rated: null, recomputation: notRecomputed('the plan has no price in it') };
    const cents = seatAmountCents(price.unitCents, line.quantity, price.seatTiers);
    return { line, kind, price, rated: null, recomputation: compared(cents, line.amountCents) };
  }
  if (kind === 'usage' && price) {
    const rated = rateUsage(price.rateCard, usage?.unitsByLine ?? new Map());
    return { line, kind, price, rated: rated.lines, recomputation: compared(rated.cents, line.amountCents) };
  }
  if (kind === 'proration') {
    const recomputed = price?.role === 'plan' && period ? proratedFee(line, price, period) : null;
    return {
      line,
      kind,
      price,
      rated: null,
      recomputation:
        recomputed === null
          ? notRecomputed("Stripe's share of the period by the second")
          : compared(recomputed, line.amountCents),
    };
  }
  return { line, kind, price, rated: null, recomputation: notRecomputed('an amount the engine sent as is') };
}

/** The billing period a proration's change fell in. */
export interface BillingPeriod {
  start: Date;
  end: Date;
}

/**
 * A plan fee's proration from the line's start (the change) to the end of the period it fell in, as a
 * charge or, on a line Stripe issued negative, the credit of unused time; null when the line is not of
 * that period or its plan has no fee in the price.
 */
function proratedFee(line: IssuedLine, price: LinePrice, period: BillingPeriod): Cents | null {
  if (price.unitCents === null || Date.parse(line.periodEnd) !== period.end.getTime()) return null;
  const fee = seatAmountCents(price.unitCents, line.quantity, price.seatTiers);
  const share = previewProration({
    oldAmountCents: fee,
    newAmountCents: fee,
    periodStartMs: period.start.getTime(),
    periodEndMs: period.end.getTime(),
    atMs: Date.parse(line.periodStart),
  });
  return line.amountCents < 0 ? share.creditCents : share.chargeCents;
}

const compared = (recomputedCents: Cents, issuedCents: Cents): Recomputation => ({
  recomputedCents,
  matches: recomputedCents === issuedCents,
});
const notRecomputed = (why: string): Recomputation => ({ recomputedCents: null, matches: null, why });

/** Whether every recomputed line came to what was issued (lines not recomputed do not count against). */
export function allMatch(lines: readonly ExplainedLine[]): boolean {
  return lines.every((l) => l.recomputation.matches !== false);
}

/** A calendar month written `YYYY-MM` as the span [first instant, first instant of the next) in UTC; null if not one. */
export function monthSpan(text: string): { from: Date; to: Date } | null {
  const m = /^(\d{4})-(\d{2})$/.exec(text);
  if (!m) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  if (month < 1 || month > 12 || year < 1970) return null;
  return { from: new Date(Date.UTC(year, month - 1, 1)), to: new Date(Date.UTC(year, month, 1)) };
}

/** The calendar month before the one `at` falls in, as `YYYY-MM` (UTC). */
export function previousMonth(at: Date): string {
  const d = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() - 1, 1));
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}
