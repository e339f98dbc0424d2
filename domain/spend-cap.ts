import type { SpendCap } from './credit-usage';

/** The most a spend cap may be: a million dollars of overage a period, in cents. */
export const MAX_SPEND_CAP_CENTS = 100_000_000;

export interface SpendCapRefusal {
  code: 'spend_cap_above_maximum' | 'spend_cap_required' | 'spend_cap_must_block';
  message: string;
  /** The use case's field at fault: the amount or the mode. */
  field: 'amountCents' | 'mode';
}

/**
 * Why a customer may not set this cap, or null: a cap is a whole number of cents, from 0 (no overage at
 * all) up to the maximum an admin set for them (or the engine's). An admin's maximum is a limit on what the
 * customer is billed, so under one the cap must block: a notifying cap would let usage run past it.
 */
export function spendCapRefusal(cap: SpendCap | null, maxCents: number | null): SpendCapRefusal | null {
  if (cap === null) {
    return maxCents === null
      ? null
      : {
          code: 'spend_cap_required',
          message: `An admin set a maximum of ${maxCents} cents: a cap is required`,
          field: 'amountCents',
        };
  }
  const limit = Math.min(maxCents ?? MAX_SPEND_CAP_CENTS, MAX_SPEND_CAP_CENTS);
  if (cap.cents > limit)
    return {
      code: 'spend_cap_above_maximum',
      message: `The cap may be at most ${limit} cents`,
      field: 'amountCents',
    };
  if (maxCents !== null && cap.mode !== 'block')
    return {
      code: 'spend_cap_must_block',
      message: `An admin set a maximum of ${maxCents} cents: the cap must block usage past it`,
      field: 'mode',
    };
  return null;
}

/**
 * The cap the engine enforces from what is stored: without an admin's maximum the customer's own; under
 * one, a blocking cap at the lower of theirs and the maximum, whatever mode was stored (rows stored before
 * a maximum forced `block` may still say `notify`).
 */
export function enforcedSpendCap(stored: SpendCap | null, maxCents: number | null): SpendCap | null {
  if (maxCents === null) return stored;
  return { cents: Math.min(stored?.cents ?? maxCents, maxCents), mode: 'block' };
}

/** What a customer's settings hold of their cap: their own (no amount: none) and an admin's maximum. */
export interface StoredSpendCap {
  spendCapCents?: number | null;
  spendCapMode: SpendCap['mode'];
  spendCapMaxCents?: number | null;
}

/** The cap enforced for what a customer's settings row stores (none without a row). */
export function spendCapInForce(stored: StoredSpendCap | null): SpendCap | null {
  const own =
    stored?.spendCapCents != null ? { cents: stored.spendCapCents, mode: stored.spendCapMode } : null;
  return enforcedSpendCap(own, stored?.spendCapMaxCents ?? null);
}
