import type { EntityManager } from '@mikro-orm/core';
import { CreditTopUp } from './entities';
import { newId } from './ids';
import { sqlFor } from './raw-sql';
import { otherTopUpInFlight } from '../domain/top-up-policy';

/**
 * The crossing's row (one per crossing key, with the pack chosen at its first try), this try counted; or
 * null when another crossing's top-up of the customer is being charged. The customer's settings row is
 * locked while deciding, so two crossings counted at once cannot both see the other absent.
 */
export async function countTopUpTry(
  em: EntityManager,
  found: CreditTopUp | null,
  req: { customerId: string; crossingKey: string; attempt: number },
  auto: { threshold: number | null; packId: string | null },
  balance: number,
  now: Date,
): Promise<CreditTopUp | null> {
  return em.transactional(async (tem) => {
    await lockSettings(tem, req.customerId);
    const tries = await tem.find(
      CreditTopUp,
      { customerId: req.customerId, status: 'pending' },
      { fields: ['crossingKey', 'status', 'updatedAt'] },
    );
    if (otherTopUpInFlight(tries, req.crossingKey, now)) return null;
    const row = found ? tem.merge(found) : newTry(tem, req, auto, balance, now);
    row.attempts = req.attempt;
    row.status = 'pending';
    row.updatedAt = now;
    await tem.flush();
    return row;
  });
}

/** Holds the customer's settings row for the rest of the transaction (PostgreSQL; SQLite has one writer). */
async function lockSettings(em: EntityManager, customerId: string): Promise<void> {
  const sql = sqlFor(em);
  if (sql.dialect === 'postgresql')
    await sql.run('select customer_id from credit_settings where customer_id = ? for update', [customerId]);
}

function newTry(
  em: EntityManager,
  req: { customerId: string; crossingKey: string },
  auto: { threshold: number | null; packId: string | null },
  balance: number,
  now: Date,
): CreditTopUp {
  return em.create(CreditTopUp, {
    id: newId('ctu'),
    customerId: req.customerId,
    crossingKey: req.crossingKey,
    packId: auto.packId ?? '',
    threshold: auto.threshold ?? 0,
    balanceAtCrossing: balance,
    createdAt: now,
    updatedAt: now,
  });
}

/** Records how a try of a top-up ended (and the payment and grant it made). */
export async function markTopUp(
  em: EntityManager,
  row: CreditTopUp,
  change: { status: CreditTopUp['status']; error?: string; paymentIntentId?: string; grantId?: string },
): Promise<void> {
  row.status = change.status;
  row.error = change.error?.slice(0, 500) ?? null;
  if (change.paymentIntentId) row.paymentIntentId = change.paymentIntentId;
  if (change.grantId) row.grantId = change.grantId;
  row.updatedAt = new Date();
  await em.flush();
}
