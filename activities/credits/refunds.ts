import type { EntityManager } from '@mikro-orm/core';
import { addMovement, lockCredits, readLedger } from '../../db/credit-ledger';
import { purchaseGrantOwner } from '../../db/credit-grants';
import { sqlFor } from '../../db/raw-sql';
import { remainingByGrant } from '../../domain/credit-ledger';
import { systemClock, type Clock } from '../../domain/clock';
import { refundVoid, takenBackCredits } from '../../domain/credit-purchase';

/** A charge as Stripe has it now, for what its refunds and its lost dispute take back. */
export interface RefundedCharge {
  paymentIntentId: string;
  amountCents: number;
  amountRefundedCents: number;
  /** What a lost dispute took back (see `lostToDispute`); none when omitted. */
  amountDisputeLostCents?: number;
}

/**
 * Voids the share of the credits a charge bought (a pack or a top-up) that its refunds and its lost
 * dispute took back, never more than is left of the grant: a lost dispute is money gone as surely as a
 * refund. It runs under the customer's credit lock, so no draw runs between reading what is left and
 * taking it out, and each state of the charge voids once (`refund:<grant>:<refunded so far>`, or
 * `dispute:<grant>:<lost>:<refunded so far>` once a dispute is lost), however often the charge is
 * mirrored. Answers the credits voided now (0 for a charge that bought none). The void is dated by `clock`
 * (the system's unless given).
 */
export async function voidRefundedCredits(
  em: EntityManager,
  charge: RefundedCharge,
  clock: Clock = systemClock,
): Promise<number> {
  const lost = Math.max(0, charge.amountDisputeLostCents ?? 0);
  if (charge.amountRefundedCents <= 0 && lost <= 0) return 0;
  const owner = await purchaseGrantOwner(sqlFor(em), charge.paymentIntentId);
  if (owner === null) return 0;
  return em.fork().transactional(async (tem) => {
    const sql = sqlFor(tem);
    await lockCredits(sql, owner);
    const { grants, movements } = await readLedger(sql, owner);
    const grant = grants.find((g) => g.stripeObjectId === charge.paymentIntentId && g.source === 'purchase');
    if (!grant) return 0;
    const ours = [`refund:${grant.id}:`, `dispute:${grant.id}:`];
    const voided = movements
      .filter(
        (m) => m.grantId === grant.id && m.kind === 'void' && ours.some((p) => m.sourceKey?.startsWith(p)),
      )
      .reduce((sum, m) => sum + m.amount, 0);
    const remaining = Math.max(0, remainingByGrant(grants, movements).get(grant.id) ?? 0);
    const takeBack = takenBackCredits(grant.amount, charge.amountCents, charge.amountRefundedCents, lost);
    const amount = refundVoid(takeBack, voided, remaining);
    if (amount === 0) return 0;
    const added = await addMovement(sql, {
      customerId: owner,
      grantId: grant.id,
      kind: 'void',
      amount,
      at: clock.now(),
      sourceKey:
        lost > 0
          ? `dispute:${grant.id}:${lost}:${charge.amountRefundedCents}`
          : `refund:${grant.id}:${charge.amountRefundedCents}`,
      reason:
        lost > 0
          ? `Lost ${lost} cents to a dispute and refunded ${charge.amountRefundedCents} of ${charge.amountCents} cents`
          : `Refunded ${charge.amountRefundedCents} of ${charge.amountCents} cents`,
    });
    return added ? amount : 0;
  });
}
