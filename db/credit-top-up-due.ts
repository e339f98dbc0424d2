import type { EntityManager } from '@mikro-orm/core';
import { creditBalance } from '../domain/credit-ledger';
import { topUpCrossingKey, topUpDue } from '../domain/credit-purchase';
import { readLedger } from './credit-ledger';
import { CreditSettings } from './entities';
import { sqlFor } from './raw-sql';

/**
 * The crossing a customer's automatic top-up is due for now (their balance below their threshold), or
 * null: the one read the API (after a report) and the worker's sweep (for a crossing nobody reported
 * after) both decide by, so they name the same crossing.
 */
export async function dueTopUpCrossing(
  em: EntityManager,
  customerId: string,
  now: Date,
): Promise<string | null> {
  const settings = await em.findOne(CreditSettings, { customerId });
  if (!settings?.autoTopUpEnabled) return null;
  const { grants, movements } = await readLedger(sqlFor(em), customerId);
  const auto = {
    enabled: settings.autoTopUpEnabled,
    threshold: settings.autoTopUpThreshold ?? null,
    packId: settings.autoTopUpPackId ?? null,
  };
  if (!topUpDue(auto, creditBalance(grants, movements, now))) return null;
  return topUpCrossingKey(customerId, grants.at(-1)?.id ?? null, settings.updatedAt);
}

/** Customers with automatic top-up on, a page at a time (by id, after `after`). */
export async function autoTopUpCustomers(em: EntityManager, after: string, limit: number): Promise<string[]> {
  const rows = await em.find(
    CreditSettings,
    { autoTopUpEnabled: true, customerId: { $gt: after } },
    { orderBy: { customerId: 'asc' }, limit, fields: ['customerId'] },
  );
  return rows.map((r) => r.customerId);
}
