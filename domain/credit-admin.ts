import type { CreditGrant } from './credit-ledger';

/** Most credits one admin grant may add. */
export const MAX_GRANT_CREDITS = 1_000_000_000;

/** Why an admin grant cannot be made as asked, or null. */
export function grantRefusal(
  input: { amount: number; expiresAt: Date | null },
  now: Date,
): { field: 'amount' | 'expiresAt'; message: string } | null {
  if (!Number.isSafeInteger(input.amount) || input.amount <= 0 || input.amount > MAX_GRANT_CREDITS)
    return { field: 'amount', message: `amount: a whole number of credits from 1 to ${MAX_GRANT_CREDITS}` };
  if (input.expiresAt && input.expiresAt <= now)
    return { field: 'expiresAt', message: 'expiresAt: an expiry must be in the future' };
  return null;
}

/** Why a grant's expiry cannot be moved to `to`, or null: an extension only ever lengthens a grant. */
export function extensionRefusal(
  grant: Pick<CreditGrant, 'expiresAt'>,
  to: Date,
  now: Date,
): { code: 'grant_never_expires' | 'not_an_extension'; message: string } | null {
  if (grant.expiresAt === null) return { code: 'grant_never_expires', message: 'The grant never expires' };
  if (to <= grant.expiresAt || to <= now)
    return {
      code: 'not_an_extension',
      message: `expiresAt: must be later than the grant's expiry (${grant.expiresAt.toISOString()}) and now`,
    };
  return null;
}
