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
  /** Volume discounts on the per-seat price; absent or null: every seat at the plan's price. */
  tiers?: SeatTiers | null;
  /** Units each seat draws a month before the account's pool (domain/credit-usage.ts SeatPool); absent: 0. */
  creditsPerSeat?: number;
}

/**
 * `graduated`: each seat is priced at the band it falls in (seats 1–10 full, the 11th on at the discount).
 * `volume`: every seat is priced at the band the count lands in (11 seats: all eleven at the discount).
 */
export const SEAT_TIER_MODES = ['graduated', 'volume'] as const;
export type SeatTierMode = (typeof SEAT_TIER_MODES)[number];

/** From seat `fromSeat` on, a seat costs the plan's price less `percentOff` percent (until the next band). */
export interface SeatBand {
  fromSeat: number;
  percentOff: number;
}

/**
 * Seat tiers as discount bands of the plan's per-seat price, so one set of bands prices every cycle and
 * currency the plan is sold in; seats below the first band pay the full price.
 */
export interface SeatTiers {
  mode: SeatTierMode;
  bands: SeatBand[];
}

export const MAX_SEAT_BANDS = 10;

/** A plan's seat terms as stored (a null minimum: not priced per seat). */
export function seatTermsOf(plan: {
  seatMin?: number | null;
  seatMax?: number | null;
  seatTiers?: SeatTiers | null;
  seatCredits?: number;
}): SeatTerms | null {
  if (plan.seatMin == null) return null;
  return {
    min: plan.seatMin,
    max: plan.seatMax ?? null,
    ...(plan.seatTiers ? { tiers: plan.seatTiers } : {}),
    ...(plan.seatCredits ? { creditsPerSeat: plan.seatCredits } : {}),
  };
}

/** Whether two seat terms bill the same: tiers absent and null are the same thing. */
export function sameSeatTerms(a: SeatTerms | null, b: SeatTerms | null): boolean {
  const norm = (t: SeatTerms | null) =>
    t ? { min: t.min, max: t.max, tiers: t.tiers ?? null, credits: t.creditsPerSeat ?? 0 } : null;
  return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
}

/** The most units a seat may carry a month: a year's worth times the seats stays a safe integer. */
export const MAX_SEAT_CREDITS = 1_000_000_000;

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
  const credits = terms.creditsPerSeat ?? 0;
  if (!Number.isSafeInteger(credits) || credits < 0 || credits > MAX_SEAT_CREDITS)
    return `seats.credits_per_seat must be a whole number from 0 to ${MAX_SEAT_CREDITS}`;
  return null;
}

/** Why a plan's seat tiers cannot be sold, naming the field at fault; null when they can. */
export function seatTiersProblem(terms: SeatTerms | null): { field: string; message: string } | null {
  const tiers = terms?.tiers;
  if (!terms || !tiers) return null;
  if (!SEAT_TIER_MODES.includes(tiers.mode))
    return {
      field: 'seats.tiers.mode',
      message: `seats.tiers.mode must be one of ${SEAT_TIER_MODES.join(', ')}`,
    };
  if (!Array.isArray(tiers.bands) || tiers.bands.length < 1 || tiers.bands.length > MAX_SEAT_BANDS)
    return {
      field: 'seats.tiers.bands',
      message: `seats.tiers.bands takes from 1 to ${MAX_SEAT_BANDS} bands`,
    };
  const max = Math.min(terms.max ?? MAX_SEATS, MAX_SEATS);
  let previous = 1;
  for (const [i, b] of tiers.bands.entries()) {
    const at = `seats.tiers.bands.${i}`;
    if (!Number.isSafeInteger(b.fromSeat) || b.fromSeat <= previous)
      return {
        field: `${at}.from_seat`,
        message: `${at}.from_seat must be a whole number above ${previous} (bands ascend; seat 1 pays the full price)`,
      };
    if (b.fromSeat > max)
      return {
        field: `${at}.from_seat`,
        message: `${at}.from_seat is beyond the ${max} seats the plan allows`,
      };
    if (!Number.isSafeInteger(b.percentOff) || b.percentOff < 1 || b.percentOff > 100)
      return {
        field: `${at}.percent_off`,
        message: `${at}.percent_off must be a whole number from 1 to 100`,
      };
    previous = b.fromSeat;
  }
  return null;
}

/** One seat's price in a band: the price less the band's discount, rounded half up to the cent. */
export function bandSeatCents(perSeatCents: Cents, percentOff: number): Cents {
  return Math.floor((perSeatCents * (100 - percentOff) + 50) / 100);
}

/**
 * The price's tiers as Stripe takes them (`up_to` null: the last, unbounded), each with its per-seat
 * amount: the full price below the first band, then each band's.
 */
export function stripeSeatTiers(
  perSeatCents: Cents,
  tiers: SeatTiers,
): { upTo: number | null; unitCents: Cents }[] {
  const units = [perSeatCents, ...tiers.bands.map((b) => bandSeatCents(perSeatCents, b.percentOff))];
  const bounds = [...tiers.bands.map((b) => b.fromSeat - 1), null];
  return units.map((unitCents, i) => ({ upTo: bounds[i] as number | null, unitCents }));
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

/**
 * What the subscription recurs at for `seats` seats of `perSeatCents`, as Stripe prices a tiered quantity:
 * graduated sums each seat at its band, volume prices every seat at the band the count lands in.
 */
export function seatAmountCents(perSeatCents: Cents, seats: number, tiers?: SeatTiers | null): Cents {
  if (!tiers) return perSeatCents * seats;
  return tieredAmountCents(stripeSeatTiers(perSeatCents, tiers), tiers.mode, seats);
}

/** What `quantity` units cost on a tiered price's table (`upTo` null: the last tier), as Stripe bills it. */
export function tieredAmountCents(
  table: { upTo: number | null; unitCents: Cents }[],
  mode: SeatTierMode,
  quantity: number,
): Cents {
  if (mode === 'volume') {
    const tier = table.find((t) => t.upTo === null || quantity <= t.upTo) ?? table[table.length - 1];
    return (tier?.unitCents ?? 0) * quantity;
  }
  let total = 0;
  let floor = 0;
  for (const t of table) {
    const ceiling = t.upTo ?? Infinity;
    total += t.unitCents * Math.max(0, Math.min(quantity, ceiling) - floor);
    if (quantity <= ceiling) break;
    floor = ceiling;
  }
  return total;
}

/**
 * A change of seats mid-period, as Stripe prorates a quantity change: the unused time of the seats held is
 * credited and the remaining time of the new count charged, each line rounded on its own. More seats are
 * invoiced at once (the net is charged now); fewer leave the credit on the next invoice.
 */
export function seatChangeProration(p: {
  perSeatCents: Cents;
  tiers?: SeatTiers | null;
  from: number;
  to: number;
  periodStartMs: number;
  periodEndMs: number;
  atMs: number;
}): ProrationPreview & { invoicedNow: boolean } {
  const preview = previewProration({
    oldAmountCents: seatAmountCents(p.perSeatCents, p.from, p.tiers),
    newAmountCents: seatAmountCents(p.perSeatCents, p.to, p.tiers),
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
