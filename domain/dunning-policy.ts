/** How the engine chases a failed payment; days count from the first failure. */
export interface DunningPolicy {
  /** Days after the failure on which the payment is retried. */
  retryDays: number[];
  /** Access is suspended once this many days have passed without payment. */
  suspendAfterDays: number;
  /** After the last retry fails: cancel the subscription, or keep it and mark the invoice unpaid. */
  finalAction: 'cancel' | 'mark_unpaid';
}

export const DEFAULT_DUNNING_POLICY: DunningPolicy = {
  retryDays: [1, 3, 5, 7],
  suspendAfterDays: 3,
  finalAction: 'cancel',
};

/** Past this, an unpaid invoice is a collections matter, not a retry schedule. */
export const MAX_DUNNING_DAYS = 60;
export const MAX_RETRIES = 10;

/** Why a policy cannot be used, or null when it can. */
export function validateDunningPolicy(p: DunningPolicy): string | null {
  if (p.retryDays.length === 0) return 'retryDays must name at least one day';
  if (p.retryDays.length > MAX_RETRIES) return `retryDays may name at most ${MAX_RETRIES} days`;
  if (p.retryDays.some((d) => d > MAX_DUNNING_DAYS))
    return `retryDays must be at most day ${MAX_DUNNING_DAYS}`;
  if (p.suspendAfterDays > MAX_DUNNING_DAYS) return `suspendAfterDays must be at most ${MAX_DUNNING_DAYS}`;
  if (p.finalAction !== 'cancel' && p.finalAction !== 'mark_unpaid')
    return 'finalAction must be cancel or mark_unpaid';
  for (let i = 0; i < p.retryDays.length; i++) {
    const d = p.retryDays[i] as number;
    if (!Number.isInteger(d) || d <= 0) return 'retryDays must be positive whole days';
    if (i > 0 && d <= (p.retryDays[i - 1] as number)) return 'retryDays must increase';
  }
  if (!Number.isInteger(p.suspendAfterDays) || p.suspendAfterDays < 0)
    return 'suspendAfterDays must be a whole number';
  return null;
}
