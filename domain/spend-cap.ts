import type { SpendCap } from './credit-usage';

/** The most a spend cap may be: a million dollars of overage a period, in cents. */
export const MAX_SPEND_CAP_CENTS = 100_000_000;

/**
 * Why a customer may not set this cap, or null: a cap is a whole number of cents, from 0 (no overage at
 * all) up to the maximum an admin set for them (or the engine's).
 */
export function spendCapRefusal(
  cap: SpendCap | null,
  maxCents: number | null,
): { code: 'spend_cap_above_maximum' | 'spend_cap_required'; message: string } | null {
  if (cap === null) {
    return maxCents === null
      ? null
      : {
          code: 'spend_cap_required',
          message: `An admin set a maximum of ${maxCents} cents: a cap is required`,
        };
  }
  const limit = Math.min(maxCents ?? MAX_SPEND_CAP_CENTS, MAX_SPEND_CAP_CENTS);
  if (cap.cents > limit)
    return { code: 'spend_cap_above_maximum', message: `The cap may be at most ${limit} cents` };
  return null;
}
