import type { Cents } from './money';
import { previewProration, type ProrationPreview } from './proration';

/**
 * Seats: a plan priced per seat bills its price once for each seat the subscription holds (Stripe's item
 * quantity), between the plan's minimum and maximum. A plan without seat terms bills one unit.
 */
export interface SeatTerms {
  min: number;
  /** null: no maximum but the engine's own ceiling. */
  max: number | null;
}

/** A plan's seat terms as stored (a null minimum: not priced per seat). */
export function seatTermsOf(plan: { seatMin?: number | null; seatMax?: number | null }): SeatTerms | null {
  return plan.seatMin == null ? null : { min: plan.seatMin, max: plan.seatMax ?? null };
}

/** No subscription holds more seats than this, whatever its plan says: Stripe's quantities are bounded too. */
export const MAX_SEATS = 10_000;

export type SeatProblem = { code: 'seats_not_offered' | 'seats_out_of_range'; message: string };

/** Why a plan's seat terms cannot be sold; null when they can. */
export function seatTermsProblem(terms: SeatTerms | null): string | null {
  if (!terms) return null;
  if (!Number.isSafeInteger(terms.min) || terms.min < 1) return 'seats.min must be a whole number from 1';
  if (terms.max !== null) {
    if (!Number.isSafeInteger(terms.max) || terms.max < terms.min)
      return 'seats.max must be a whole number at least seats.min';
    if (terms.max > MAX_SEATS) return `seats.max must be at most ${MAX_SEATS}`;
  }
  if (terms.min > MAX_SEATS) return `seats.min must be at most ${MAX_SEATS}`;
  return null;
}

/** Why `seats` cannot be held on a plan with these terms; null when it can. */
export function seatCountProblem(terms: SeatTerms | null, seats: number): SeatProblem | null {
  if (!terms) return { code: 'seats_not_offered', message: 'This plan is not priced per seat' };
  const max = Math.min(terms.max ?? MAX_SEATS, MAX_SEATS);
  if (!Number.isSafeInteger(seats) || seats < terms.min || seats > max)
    return {
      code: 'seats_out_of_range',
      message: `This plan takes from ${terms.min} to ${max} seats`,
    };
  return null;
}

/** The seats a checkout takes when the customer names none: the plan's minimum, or one unit. */
export function seatsAtCheckout(terms: SeatTerms | null, asked: number | null): number {
  return asked ?? terms?.min ?? 1;
}

/** What the subscription recurs at for `seats` seats of `perSeatCents`. */
export function seatAmountCents(perSeatCents: Cents, seats: number): Cents {
  return perSeatCents * seats;
}

/**
 * A change of seats mid-period, as Stripe prorates a quantity change: the unused time of the seats held is
 * credited and the remaining time of the new count charged, each line rounded on its own. More seats are
 * invoiced at once (the net is charged now); fewer leave the credit on the next invoice.
 */
export function seatChangeProration(p: {
  perSeatCents: Cents;
  from: number;
  to: number;
  periodStartMs: number;
  periodEndMs: number;
  atMs: number;
}): ProrationPreview & { invoicedNow: boolean } {
  const preview = previewProration({
    oldAmountCents: seatAmountCents(p.perSeatCents, p.from),
    newAmountCents: seatAmountCents(p.perSeatCents, p.to),
    periodStartMs: p.periodStartMs,
    periodEndMs: p.periodEndMs,
    atMs: p.atMs,
  });
  return { ...preview, invoicedNow: seatChangeInvoicesNow(p.from, p.to) };
}

/** More seats are invoiced at once; fewer (or the same) leave what they owe or credit to the next invoice. */
export function seatChangeInvoicesNow(held: number, asked: number): boolean {
  return asked > held;
}

/**
 * Whether a plan change keeps the subscription's seats: between a plan priced per seat and one that is
 * not, the seats would be billed as units of the other (or lost), so such a change is refused; between
 * two seat plans the seats held must fit the new plan's range.
 */
export function seatPlanChangeProblem(
  from: SeatTerms | null,
  to: SeatTerms | null,
  seats: number,
): SeatProblem | null {
  if (!from && !to) return null;
  if (!from || !to)
    return {
      code: 'seats_not_offered',
      message: 'A plan priced per seat changes only to another plan priced per seat',
    };
  return seatCountProblem(to, seats);
}
