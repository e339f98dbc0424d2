import type { CreditPackTerms } from '../../domain/credit-purchase';

/** Marks a Stripe object as a credit purchase of ours, and says what it grants. */
export const CREDIT_PURCHASE = 'credit_pack';

export function creditPurchaseMetadata(customerId: string, pack: CreditPackTerms): Record<string, string> {
  return {
    kind: CREDIT_PURCHASE,
    customer_id: customerId,
    credit_pack_id: pack.packId,
    credits: String(pack.credits),
    expires_after_days: pack.expiresAfterDays === null ? '' : String(pack.expiresAfterDays),
    pack_name: pack.name,
  };
}

/** What a credit purchase's metadata grants, or null if it is not one of ours or does not parse. */
export function purchaseOf(metadata: Record<string, string> | null | undefined): {
  customerId: string;
  packId: string;
  credits: number;
  expiresAfterDays: number | null;
  name: string;
} | null {
  if (!metadata || metadata.kind !== CREDIT_PURCHASE) return null;
  const credits = Number(metadata.credits);
  const days = metadata.expires_after_days ? Number(metadata.expires_after_days) : null;
  if (!metadata.customer_id || !metadata.credit_pack_id || !Number.isSafeInteger(credits) || credits <= 0)
    return null;
  if (days !== null && (!Number.isSafeInteger(days) || days <= 0)) return null;
  return {
    customerId: metadata.customer_id,
    packId: metadata.credit_pack_id,
    credits,
    expiresAfterDays: days,
    name: metadata.pack_name ?? 'credits',
  };
}
