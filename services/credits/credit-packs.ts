import type { EntityManager } from '@mikro-orm/core';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { recordAudit } from '../../db/audit';
import { CreditPack } from '../../db/entities';
import { newId } from '../../db/ids';
import { AppError, conflict, notFound } from '../../domain/errors';
import { registeredCode } from '../../domain/error-codes';
import type { Identity } from '../../domain/identity';
import { packPricesRefusal } from '../../domain/currency/pack-prices';

/** What an admin sets on a pack. */
export interface PackTerms {
  code: string;
  name: string;
  credits: number;
  priceCents: number;
  currency: string;
  /** Its price in other currencies, in cents. */
  currencyPrices: Record<string, number>;
  planCodes: string[];
  expiresAfterDays: number | null;
  active: boolean;
}

/** Packs on sale (or every pack, for the console), in their display order. */
export function listCreditPacks(em: EntityManager, opts: { all?: boolean } = {}): Promise<CreditPack[]> {
  return em.fork().find(CreditPack, opts.all ? {} : { active: true }, {
    orderBy: { sortOrder: 'asc', priceCents: 'asc', id: 'asc' },
  });
}

const imageOf = (p: CreditPack) => ({
  code: p.code,
  name: p.name,
  credits: p.credits,
  priceCents: p.priceCents,
  currency: p.currency,
  currencyPrices: p.currencyPrices,
  planCodes: p.planCodes,
  expiresAfterDays: p.expiresAfterDays ?? null,
  active: p.active,
});

async function flushUnique(em: EntityManager, code: string): Promise<void> {
  try {
    await em.flush();
  } catch (err) {
    if (err instanceof UniqueConstraintViolationException)
      throw conflict('pack_code_exists', `A pack with code "${code}" exists`, { field: 'code' });
    throw err;
  }
}

function checkPackPrices(base: string, prices: Record<string, number>): void {
  const refusal = packPricesRefusal(base, prices);
  if (refusal)
    throw new AppError('invalid', registeredCode(refusal.code), refusal.message, {
      field: `currency_prices.${refusal.field}`,
    });
}

/** A new pack; audited. */
export async function createCreditPack(
  em: EntityManager,
  actor: Identity,
  terms: PackTerms,
): Promise<CreditPack> {
  checkPackPrices(terms.currency, terms.currencyPrices);
  const pack = em.create(CreditPack, { id: newId('pack'), ...terms });
  recordAudit(em, {
    actor,
    action: 'credit_pack.create',
    entityType: 'credit_pack',
    entityId: pack.id,
    after: imageOf(pack),
  });
  await flushUnique(em, terms.code);
  return pack;
}

/**
 * Changes a pack's terms for purchases from now on (a grant keeps the credits and expiry it was bought
 * with); deactivating takes it off sale. Audited.
 */
export async function updateCreditPack(
  em: EntityManager,
  actor: Identity,
  id: string,
  change: Partial<PackTerms>,
): Promise<CreditPack> {
  const pack = await em.findOne(CreditPack, { id });
  if (!pack) throw notFound('credit_pack', id);
  const before = imageOf(pack);
  Object.assign(pack, change);
  checkPackPrices(pack.currency, pack.currencyPrices);
  recordAudit(em, {
    actor,
    action: 'credit_pack.update',
    entityType: 'credit_pack',
    entityId: pack.id,
    before,
    after: imageOf(pack),
  });
  await flushUnique(em, pack.code);
  return pack;
}
