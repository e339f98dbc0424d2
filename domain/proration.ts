import { divRound, type Cents } from './money';

export interface ProrationInput {
  oldAmountCents: Cents;
  newAmountCents: Cents;
  periodStartMs: number;
  periodEndMs: number;
  atMs: number;
  /**
   * A switch between monthly and yearly: Stripe ends the old period now and starts a new one, so the new
   * price is charged whole (only the old one is prorated).
   */
  intervalChanges?: boolean;
}

export interface ProrationPreview {
  /** Unused time on the old price, returned as a credit (negative or zero). */
  creditCents: Cents;
  /** Remaining time on the new price. */
  chargeCents: Cents;
  /** What the customer pays now (credit + charge); negative means a credit to the next invoice. */
  netCents: Cents;
  remainingFraction: number;
}

/**
 * Second-based proration the way Stripe prorates a price change mid-period: each line is rounded to the
 * cent on its own, so the net equals what the invoice lines add up to.
 */
export function previewProration(p: ProrationInput): ProrationPreview {
  const period = Math.max(1, Math.floor((p.periodEndMs - p.periodStartMs) / 1000));
  const remaining = Math.min(period, Math.max(0, Math.floor((p.periodEndMs - p.atMs) / 1000)));
  // `0 -` rather than unary minus: a credit that rounds to nothing is 0, never -0.
  const creditCents = 0 - divRound(p.oldAmountCents * remaining, period);
  const chargeCents = p.intervalChanges ? p.newAmountCents : divRound(p.newAmountCents * remaining, period);
  return {
    creditCents,
    chargeCents,
    netCents: creditCents + chargeCents,
    remainingFraction: remaining / period,
  };
}
