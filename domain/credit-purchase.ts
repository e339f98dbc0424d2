/**
 * Buying credits: which pack a customer may buy, what a paid purchase grants, what a refund or a lost
 * dispute takes back, and when an automatic top-up is due. Pure rules; services/credits and
 * activities/credits carry them out.
 */

/** A credit pack as it was on sale when the customer chose it: what the purchase will grant. */
export interface CreditPackTerms {
  packId: string;
  name: string;
  credits: number;
  priceCents: number;
  currency: string;
  expiresAfterDays: number | null;
}

/** A pack as the rules need it. */
export interface PackForSale {
  active: boolean;
  /** Plans that may buy it; empty: every plan. */
  planCodes: readonly string[];
}

export interface PurchaseRefusal {
  code: 'credit_pack_not_found' | 'credit_pack_not_for_plan';
  message: string;
}

/** Why this customer may not buy this pack now (an inactive pack is as good as none), or null. */
export function purchaseRefusal(pack: PackForSale | null, planCode: string | null): PurchaseRefusal | null {
  if (!pack || !pack.active) return { code: 'credit_pack_not_found', message: 'No such credit pack on sale' };
  if (pack.planCodes.length > 0 && (planCode === null || !pack.planCodes.includes(planCode)))
    return {
      code: 'credit_pack_not_for_plan',
      message: `This pack is for the ${pack.planCodes.join(', ')} plan${pack.planCodes.length > 1 ? 's' : ''} only`,
    };
  return null;
}

const DAY_MS = 86_400_000;

/** When purchased credits lapse: the pack's days after the payment, or never. */
export function purchasedExpiry(paidAt: Date, expiresAfterDays: number | null): Date | null {
  return expiresAfterDays === null ? null : new Date(paidAt.getTime() + expiresAfterDays * DAY_MS);
}

/**
 * The credits a charge's refunds and its lost dispute take back in all: the share of the grant that the
 * money taken back paid for, rounded up (the customer keeps no credit they did not pay for), all of it when
 * the whole charge came back. Refunds and the dispute together count at most the charge, so they never
 * take back more than the grant.
 */
export function takenBackCredits(
  grantAmount: number,
  chargeCents: number,
  refundedCents: number,
  disputeLostCents: number,
): number {
  const back = Math.max(0, refundedCents) + Math.max(0, disputeLostCents);
  if (back <= 0 || chargeCents <= 0) return 0;
  if (back >= chargeCents) return grantAmount;
  return Math.min(grantAmount, Math.ceil((grantAmount * back) / chargeCents));
}

/**
 * The cents a charge's dispute took back from the merchant: its amount once it is lost. An inquiry, an
 * open dispute (the bank holds the money, but it may still come back) and a won one take nothing.
 */
export function lostToDispute(dispute: { status: string; amount: number } | null | undefined): number {
  return dispute?.status === 'lost' ? Math.max(0, dispute.amount) : 0;
}

/**
 * What to void now for refunds and a lost dispute: what they take back so far, less what earlier ones
 * already voided, never more than is left of the grant (credits already used stay used).
 */
export function refundVoid(takeBack: number, voidedForRefunds: number, remaining: number): number {
  return Math.max(0, Math.min(takeBack - voidedForRefunds, remaining));
}

/** A customer's automatic top-up as they set it. */
export interface AutoTopUp {
  enabled: boolean;
  threshold: number | null;
  packId: string | null;
}

/** Whether the balance has fallen below the customer's threshold with a pack to buy. */
export function topUpDue(settings: AutoTopUp, balance: number): boolean {
  return (
    settings.enabled &&
    settings.threshold !== null &&
    settings.packId !== null &&
    balance < settings.threshold
  );
}

/**
 * Names one fall below the threshold: the balance can only rise again through a new grant, and a changed
 * setting is a new decision, so the newest grant and the settings' last change together name the crossing.
 * Every process that sees the same crossing names it alike, which is what makes it charge once.
 */
export function topUpCrossingKey(
  customerId: string,
  newestGrantId: string | null,
  settingsChangedAt: Date,
): string {
  return `${customerId}:${newestGrantId ?? 'none'}:${settingsChangedAt.getTime()}`;
}

/**
 * When the settings a crossing was named after last changed (`topUpCrossingKey`), in epoch milliseconds;
 * null for a key that does not end with one.
 */
export function settingsChangedAtOfCrossing(crossingKey: string): number | null {
  const last = crossingKey.slice(crossingKey.lastIndexOf(':') + 1);
  return crossingKey.includes(':') && /^\d{1,15}$/.test(last) ? Number(last) : null;
}

/** After a declined top-up: one more try, then auto top-up is turned off until the customer turns it on. */
export function afterDecline(attempt: number): 'retry' | 'disable' {
  return attempt < 2 ? 'retry' : 'disable';
}

export interface AutoTopUpRefusal {
  code: 'validation_failed' | 'credit_pack_not_found' | 'credit_pack_not_for_plan' | 'no_payment_method';
  message: string;
  field: string;
}

/**
 * Why these auto top-up settings cannot be saved: turning it on needs a threshold, a pack this customer
 * may buy, and a card to charge. Turning it off always works.
 */
export function autoTopUpRefusal(
  want: AutoTopUp,
  pack: PackForSale | null,
  planCode: string | null,
  hasCard: boolean,
): AutoTopUpRefusal | null {
  if (!want.enabled) return null;
  if (want.threshold === null || want.threshold < 1)
    return {
      code: 'validation_failed',
      message: 'threshold: at least 1 credit to turn auto top-up on',
      field: 'threshold',
    };
  if (want.packId === null)
    return { code: 'validation_failed', message: 'pack_id: the pack to buy is required', field: 'packId' };
  const refusal = purchaseRefusal(pack, planCode);
  if (refusal) return { ...refusal, field: 'packId' };
  if (!hasCard)
    return {
      code: 'no_payment_method',
      message: 'Add a card first: auto top-up charges the card on file',
      field: 'enabled',
    };
  return null;
}
