import type { EntityManager } from '@mikro-orm/core';
import { UsageType } from '../../db/entities';
import { conflict } from '../../domain/errors';
import { DEFAULT_USAGE_TYPES } from '../../domain/usage';
import type { Identity } from '../../domain/identity';
import { recordAudit } from '../../db/audit';
import { addedUsageTypes } from '../../db/usage-type-codes';

const TTL_MS = 5_000;
/**
 * One cache per database (keyed by its driver), since one process may talk to several. Its age is a
 * stopwatch (performance.now()), not business time: a test's clock does not keep or expire it.
 */
const caches = new WeakMap<object, { at: number; types: ReadonlySet<string> }>();

/**
 * The usage types events may carry: the built-in ones and those admins added. Read on every report, so
 * kept for a few seconds; a type added by another API process is accepted here within that time.
 */
export async function usageTypes(em: EntityManager): Promise<ReadonlySet<string>> {
  const cached = caches.get(em.getDriver());
  if (cached && performance.now() - cached.at < TTL_MS) return cached.types;
  const added = await addedUsageTypes(em);
  const types = new Set<string>([...DEFAULT_USAGE_TYPES, ...added.map((t) => t.code)]);
  caches.set(em.getDriver(), { at: performance.now(), types });
  return types;
}

export async function listUsageTypes(em: EntityManager) {
  const added = await em.find(UsageType, {}, { orderBy: { code: 'asc' } });
  return [
    ...DEFAULT_USAGE_TYPES.map((code) => ({ code, description: null, builtIn: true })),
    ...added.map((t) => ({ code: t.code, description: t.description ?? null, builtIn: false })),
  ];
}

/** Adds a usage type (audited); a type that exists, built in or added, is a conflict. */
export async function addUsageType(em: EntityManager, actor: Identity, code: string, description?: string) {
  if ((DEFAULT_USAGE_TYPES as readonly string[]).includes(code) || (await em.count(UsageType, { code }))) {
    throw conflict('usage_type_exists', `Usage type "${code}" already exists`, { field: 'code' });
  }
  const type = em.create(UsageType, { code, description: description ?? null, createdBy: actor.sub });
  recordAudit(em, {
    actor: actor,
    action: 'usage_type.create',
    entityType: 'usage_type',
    entityId: code,
    before: null,
    after: { code, description: description ?? null },
  });
  await em.flush();
  caches.delete(em.getDriver());
  return { code: type.code, description: type.description ?? null, builtIn: false };
}
