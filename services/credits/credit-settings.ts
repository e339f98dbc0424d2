import type { EntityManager } from '@mikro-orm/core';
import { recordAudit } from '../../db/audit';
import { CreditPack, CreditSettings, PaymentMethod } from '../../db/entities';
import { autoTopUpRefusal, type AutoTopUp } from '../../domain/credit-purchase';
import { ensureCreditSettingsRow, type CreditSettingsFields } from '../../db/credit-settings';
import type { SpendCap } from '../../domain/credit-usage';
import { AppError } from '../../domain/errors';
import type { Identity } from '../../domain/identity';
import { autoTopUpChanged } from '../../domain/top-up-policy';
import { enforcedSpendCap, spendCapInForce, spendCapRefusal } from '../../domain/spend-cap';
import { forgetCreditStanding } from '../usage/credit-terms';

/** A customer's credit settings, with the defaults of a customer who never set any. */
export interface CreditSettingsView {
  /** The cap the engine enforces: under an admin's maximum, a blocking one within it (enforcedSpendCap). */
  spendCap: SpendCap | null;
  spendCapMaxCents: number | null;
  autoTopUp: { enabled: boolean; threshold: number | null; packId: string | null; note: string | null };
}

/** The cap as stored, which a row written before a maximum forced `block` may hold as `notify`. */
const storedCap = (row: CreditSettingsFields | null): SpendCap | null =>
  row?.spendCapCents != null ? { cents: row.spendCapCents, mode: row.spendCapMode } : null;

/** The settings a customer's stored row (or none) says. */
export const creditSettingsView = (row: CreditSettingsFields | null): CreditSettingsView => ({
  spendCap: spendCapInForce(row),
  spendCapMaxCents: row?.spendCapMaxCents ?? null,
  autoTopUp: {
    enabled: row?.autoTopUpEnabled ?? false,
    threshold: row?.autoTopUpThreshold ?? null,
    packId: row?.autoTopUpPackId ?? null,
    note: row?.autoTopUpNote ?? null,
  },
});

/**
 * The customer's settings row, made first if they have none. The insert is one atomic statement that does
 * nothing when the row exists, so two first changes at once both find it instead of one failing on the key.
 */
export async function settingsRow(em: EntityManager, customerId: string, now: Date): Promise<CreditSettings> {
  await ensureCreditSettingsRow(em, customerId, now);
  return em.findOneOrFail(CreditSettings, { customerId }, { refresh: true });
}

/** Sets or lifts the customer's own spend cap, within the maximum an admin set for them (and blocking). */
export async function setSpendCap(
  em: EntityManager,
  customerId: string,
  cap: SpendCap | null,
  now: Date,
): Promise<CreditSettingsView> {
  const row = await settingsRow(em, customerId, now);
  const refusal = spendCapRefusal(cap, row.spendCapMaxCents ?? null);
  if (refusal) throw new AppError('invalid', refusal.code, refusal.message, { field: refusal.field });
  row.spendCapCents = cap?.cents ?? null;
  row.spendCapMode = cap?.mode ?? 'block';
  await em.flush();
  forgetCreditStanding(em, customerId);
  return creditSettingsView(row);
}

/**
 * Sets the highest cap a customer may choose (null: no maximum). Under a maximum the cap blocks: a cap
 * above it is lowered to it, a notifying one becomes blocking, and a customer without a cap gets a blocking
 * one at it. Audited.
 */
export async function setSpendCapMax(
  em: EntityManager,
  actor: Identity,
  customerId: string,
  maxCents: number | null,
  now: Date,
): Promise<CreditSettingsView> {
  const row = await settingsRow(em, customerId, now);
  const before = { spendCapMaxCents: row.spendCapMaxCents ?? null, spendCap: storedCap(row) };
  row.spendCapMaxCents = maxCents;
  const cap = enforcedSpendCap(before.spendCap, maxCents);
  row.spendCapCents = cap?.cents ?? null;
  row.spendCapMode = cap?.mode ?? 'block';
  recordAudit(em, {
    actor,
    action: 'credits.spend_cap_max',
    entityType: 'customer',
    entityId: customerId,
    before,
    after: { spendCapMaxCents: row.spendCapMaxCents, spendCap: storedCap(row) },
  });
  await em.flush();
  forgetCreditStanding(em, customerId);
  return creditSettingsView(row);
}

const REFUSAL_KIND = {
  validation_failed: 'invalid',
  credit_pack_not_found: 'not_found',
  credit_pack_not_for_plan: 'conflict',
  no_payment_method: 'conflict',
} as const;

/**
 * Turns automatic top-up on (a threshold, a pack the customer's plan may buy, a card to charge: a bank
 * debit is not charged off-session) or off. A changed save clears the note the engine left when it turned
 * auto top-up off, and starts a new decision: a balance already below the threshold is a new crossing. The
 * same settings saved again change nothing.
 */
export async function setAutoTopUp(
  em: EntityManager,
  customerId: string,
  want: AutoTopUp,
  planCode: string | null,
  now: Date,
): Promise<CreditSettingsView> {
  const [pack, cards] = await Promise.all([
    want.packId ? em.fork().findOne(CreditPack, { id: want.packId }) : null,
    em.fork().count(PaymentMethod, { customer: customerId, detachedAt: null, type: 'card' }),
  ]);
  const refusal = autoTopUpRefusal(want, pack, planCode, cards > 0);
  if (refusal)
    throw new AppError(REFUSAL_KIND[refusal.code], refusal.code, refusal.message, { field: refusal.field });
  const row = await settingsRow(em, customerId, now);
  const before = creditSettingsView(row).autoTopUp;
  // The time of the last change names the crossing: an unchanged save starts no other top-up, though it
  // still clears the engine's note (the customer has read it and decided again).
  if (!autoTopUpChanged(before, want)) {
    if (row.autoTopUpNote) {
      row.autoTopUpNote = null;
      await em.flush();
    }
    return creditSettingsView(row);
  }
  row.autoTopUpEnabled = want.enabled;
  row.autoTopUpThreshold = want.threshold;
  row.autoTopUpPackId = want.packId;
  row.autoTopUpNote = null;
  row.updatedAt = now;
  await em.flush();
  return creditSettingsView(row);
}
