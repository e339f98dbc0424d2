import type { EntityManager } from '@mikro-orm/core';
import { recordAudit } from '../../db/audit';
import {
  addGrant,
  addMovement,
  lockCredits,
  readLedger,
  setGrantExpiry,
  type StoredGrant,
} from '../../db/credit-ledger';
import { sqlFor } from '../../db/raw-sql';
import { extensionRefusal, grantRefusal } from '../../domain/credit-admin';
import { remainingByGrant } from '../../domain/credit-ledger';
import { AppError, notFound } from '../../domain/errors';
import type { Identity } from '../../domain/identity';
import { customerByEmail } from '../admin-lists/customer-detail';
import { forgetCreditStanding } from '../usage/credit-terms';
import { customerCredits, type CustomerCredits } from './customer-credits';

/** A customer's credits as the console shows them: the account and every movement of the ledger. */
export async function customerLedger(em: EntityManager, email: string, now: Date) {
  const customer = await customerByEmail(em, email);
  const [credits, ledger] = await Promise.all([
    customerCredits(em, customer.id, now),
    readLedger(sqlFor(em), customer.id),
  ]);
  return { email: customer.email, credits, movements: ledger.movements.reverse() };
}

const auditImage = (g: StoredGrant, remaining?: number) => ({
  amount: g.amount,
  remaining,
  source: g.source,
  priority: g.priority,
  expiresAt: g.expiresAt?.toISOString() ?? null,
  reason: g.reason,
});

/**
 * Grants credits by hand, once per idempotency key: a retry answers the grant the first call made and
 * adds no second audit entry.
 */
export async function grantCreditsAsAdmin(
  em: EntityManager,
  actor: Identity,
  input: {
    email: string;
    amount: number;
    reason: string;
    expiresAt: Date | null;
    priority: number;
    idempotencyKey: string;
  },
  now: Date,
): Promise<{ grant: StoredGrant; created: boolean }> {
  const refusal = grantRefusal(input, now);
  if (refusal) throw new AppError('invalid', 'validation_failed', refusal.message, { field: refusal.field });
  const customer = await customerByEmail(em, input.email);
  const out = await em.transactional(async (tem) => {
    const made = await addGrant(sqlFor(tem), {
      customerId: customer.id,
      amount: input.amount,
      source: 'admin',
      priority: input.priority,
      effectiveAt: now,
      expiresAt: input.expiresAt,
      sourceKey: `admin:${customer.id}:${input.idempotencyKey}`,
      reason: input.reason,
      actor: actor.email ?? actor.sub,
    });
    if (made.created) {
      recordAudit(tem, {
        actor,
        action: 'credits.grant',
        entityType: 'credit_grant',
        entityId: made.grant.id,
        after: auditImage(made.grant, made.grant.amount),
      });
    }
    return made;
  });
  forgetCreditStanding(em, customer.id);
  return out;
}

/** The grant of this customer, and what is left of it, read inside the caller's transaction. */
async function ownGrant(tem: EntityManager, customerId: string, grantId: string) {
  const { grants, movements } = await readLedger(sqlFor(tem), customerId);
  const grant = grants.find((g) => g.id === grantId);
  if (!grant) throw notFound('credit_grant', grantId);
  return { grant, remaining: Math.max(0, remainingByGrant(grants, movements).get(grantId) ?? 0) };
}

/**
 * Voids what is left of a grant, under the customer's credit lock so no draw runs between reading what is
 * left and taking it out. A grant with nothing left answers as it is (a second void changes nothing).
 */
export async function voidGrantAsAdmin(
  em: EntityManager,
  actor: Identity,
  input: { email: string; grantId: string; reason: string },
  now: Date,
): Promise<StoredGrant> {
  const customer = await customerByEmail(em, input.email);
  const grant = await em.transactional(async (tem) => {
    const sql = sqlFor(tem);
    await lockCredits(sql, customer.id);
    const { grant, remaining } = await ownGrant(tem, customer.id, input.grantId);
    if (remaining === 0) return grant;
    const added = await addMovement(sql, {
      customerId: customer.id,
      grantId: grant.id,
      kind: 'void',
      amount: remaining,
      at: now,
      sourceKey: `void:${grant.id}:${remaining}`,
      reason: input.reason,
      actor: actor.email ?? actor.sub,
    });
    if (added) {
      recordAudit(tem, {
        actor,
        action: 'credits.void',
        entityType: 'credit_grant',
        entityId: grant.id,
        before: auditImage(grant, remaining),
        after: { ...auditImage(grant, 0), voidReason: input.reason },
      });
    }
    return grant;
  });
  forgetCreditStanding(em, customer.id);
  return grant;
}

/** Moves a grant's expiry later (never earlier: that would take credits back unannounced); audited. */
export async function extendGrantAsAdmin(
  em: EntityManager,
  actor: Identity,
  input: { email: string; grantId: string; expiresAt: Date; reason: string },
  now: Date,
): Promise<StoredGrant> {
  const customer = await customerByEmail(em, input.email);
  const grant = await em.transactional(async (tem) => {
    const sql = sqlFor(tem);
    await lockCredits(sql, customer.id);
    const { grant, remaining } = await ownGrant(tem, customer.id, input.grantId);
    const refusal = extensionRefusal(grant, input.expiresAt, now);
    if (refusal) throw new AppError('conflict', refusal.code, refusal.message, { field: 'expiresAt' });
    await setGrantExpiry(sql, grant.id, input.expiresAt);
    const after = { ...grant, expiresAt: input.expiresAt };
    recordAudit(tem, {
      actor,
      action: 'credits.extend',
      entityType: 'credit_grant',
      entityId: grant.id,
      before: auditImage(grant, remaining),
      after: { ...auditImage(after, remaining), extendReason: input.reason },
    });
    return after;
  });
  forgetCreditStanding(em, customer.id);
  return grant;
}

export type { CustomerCredits };
