/**
 * How a copy of a charge read from Stripe (or carried by an event) moves the mirror's row. Copies land out of
 * order (two events' reads racing, a late payload), so nothing moves backwards: a settled outcome stays, the
 * refunded amount only grows, and a dispute's stage only advances.
 */

/** What the mirror keeps of a charge. */
export interface ChargeState {
  status: string;
  amountCents: number;
  currency: string;
  paid: boolean;
  amountRefundedCents: number;
  refunded: boolean;
  stripeInvoiceId: string | null;
  description: string | null;
  failureCode: string | null;
  cardBrand: string | null;
  cardLast4: string | null;
  stripeDisputeId: string | null;
  disputeStatus: string | null;
  disputeReason: string | null;
  disputedAmountCents: number;
  disputedAt: Date | null;
}

/** A charge as one copy of it shows it. */
export type ChargeCopy = Omit<
  ChargeState,
  'stripeDisputeId' | 'disputeStatus' | 'disputeReason' | 'disputedAmountCents' | 'disputedAt'
>;

/** The charge's latest dispute as one read shows it. */
export interface DisputeCopy {
  id: string;
  status: string;
  amountCents: number;
  reason: string | null;
  createdAt: Date | null;
}

/** Outcomes a charge never leaves: a read made before one of them must not undo it. */
const SETTLED_CHARGE: readonly string[] = ['succeeded', 'failed'];

/**
 * How far along a dispute is: an inquiry (`warning_…`) may become a dispute, a dispute goes under review,
 * and it ends won, lost or closed. A read of an earlier stage never undoes a later one.
 */
const DISPUTE_STAGE: Record<string, number> = {
  warning_needs_response: 0,
  warning_under_review: 1,
  needs_response: 2,
  under_review: 3,
  warning_closed: 4,
  prevented: 4,
  won: 4,
  lost: 4,
};
/** A dispute at this stage has ended. */
export const FINAL_DISPUTE_STAGE = 4;
export const stageOfDispute = (status: string | null | undefined) =>
  status ? (DISPUTE_STAGE[status] ?? 0) : -1;

const NO_DISPUTE = {
  stripeDisputeId: null,
  disputeStatus: null,
  disputeReason: null,
  disputedAmountCents: 0,
  disputedAt: null,
} as const;

/** The row after this copy (and, when read with it, the charge's latest dispute). */
export function mergeCharge(
  stored: ChargeState | null,
  copy: ChargeCopy,
  dispute: DisputeCopy | null,
): ChargeState {
  // A copy read before the charge settled says nothing of how it settled.
  const older =
    stored !== null && SETTLED_CHARGE.includes(stored.status) && !SETTLED_CHARGE.includes(copy.status);
  const next: ChargeState = {
    ...(stored ?? NO_DISPUTE),
    ...copy,
    status: older ? stored.status : copy.status,
    failureCode: older ? stored.failureCode : copy.failureCode,
    paid: (stored?.paid ?? false) || copy.paid,
    amountRefundedCents: Math.max(stored?.amountRefundedCents ?? 0, copy.amountRefundedCents),
    refunded: (stored?.refunded ?? false) || copy.refunded,
    stripeInvoiceId: copy.stripeInvoiceId ?? stored?.stripeInvoiceId ?? null,
    cardBrand: copy.cardBrand ?? stored?.cardBrand ?? null,
    cardLast4: copy.cardLast4 ?? stored?.cardLast4 ?? null,
  };
  return dispute ? withDispute(next, dispute) : next;
}

/** An older dispute of the charge never replaces a newer one. */
function withDispute(row: ChargeState, d: DisputeCopy): ChargeState {
  if (
    row.stripeDisputeId &&
    row.stripeDisputeId !== d.id &&
    row.disputedAt &&
    d.createdAt &&
    d.createdAt < row.disputedAt
  )
    return row;
  const same = row.stripeDisputeId === d.id;
  return {
    ...row,
    disputeStatus:
      !same || stageOfDispute(d.status) >= stageOfDispute(row.disputeStatus) ? d.status : row.disputeStatus,
    stripeDisputeId: d.id,
    disputedAmountCents: d.amountCents,
    disputeReason: d.reason,
    disputedAt: d.createdAt ?? row.disputedAt ?? null,
  };
}
