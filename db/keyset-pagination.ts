import type { EntityManager, EntityName, FilterQuery, FindOptions } from '@mikro-orm/core';
import { AppError } from '../domain/errors';

/**
 * Keyset ("seek") pagination: the cursor holds the sort value and id of the last row served, and the next
 * page starts strictly after it. Rows inserted while a client pages land before or after that point but
 * never shift it, so no row is served twice or skipped, unlike OFFSET.
 */
export interface Page<T> {
  items: T[];
  total: number;
  nextCursor: string | null;
}

type SortValue = string | number;

export interface SortKey {
  /** Entity property to order by (a datetime, number or string that is never null). */
  field: string;
  dir: 'asc' | 'desc';
  kind: 'date' | 'number' | 'string';
}

/** `-created` → created descending; the names come from each route's own enum. */
export function sortKey(param: string, fields: Record<string, Omit<SortKey, 'dir'>>): SortKey {
  const desc = param.startsWith('-');
  const spec = fields[desc ? param.slice(1) : param];
  if (!spec)
    throw new AppError('invalid', 'validation_failed', 'query.sort: unknown sort', { field: 'query.sort' });
  return { ...spec, dir: desc ? 'desc' : 'asc' };
}

/** The cursor of a page that ends at the row with sort value `value` and id `id`. */
export function encodeCursor(value: SortValue, id: string): string {
  return Buffer.from(JSON.stringify([value, id])).toString('base64url');
}

/** A cursor this module gave out, read back with its key's kind; otherwise a 400 invalid_cursor. */
export function decodeCursor(
  cursor: string,
  key: Pick<SortKey, 'kind'>,
): { value: SortValue | Date; id: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = null;
  }
  const ok =
    Array.isArray(parsed) &&
    parsed.length === 2 &&
    typeof parsed[1] === 'string' &&
    (key.kind === 'string' ? typeof parsed[0] === 'string' : typeof parsed[0] === 'number');
  if (!ok) {
    throw new AppError('invalid', 'invalid_cursor', 'query.cursor: not a cursor this list gave out', {
      field: 'query.cursor',
    });
  }
  const [value, id] = parsed as [SortValue, string];
  return { value: key.kind === 'date' ? new Date(value) : value, id };
}

/**
 * Newest first by id alone: ids are unique and time-ordered (see newId), so the id is the whole position
 * and needs no second column to break ties.
 */
export const NEWEST_ID_FIRST: SortKey = { field: 'id', dir: 'desc', kind: 'string' };

/**
 * One page of `entity` matching `where`, ordered by `key` then id, without counting the matches (for
 * lists that show no total, where a count would read every match on each page).
 */
export async function seekRows<T extends { id: string }>(
  em: EntityManager,
  entity: EntityName<T>,
  where: FilterQuery<T>,
  opts: { key: SortKey; limit: number; cursor?: string; populate?: string[] },
): Promise<Omit<Page<T>, 'total'>> {
  const { key, limit } = opts;
  const op = key.dir === 'desc' ? '$lt' : '$gt';
  const byIdAlone = key.field === 'id';
  let paged = where;
  if (opts.cursor) {
    const { value, id } = decodeCursor(opts.cursor, key);
    const after = byIdAlone
      ? { id: { [op]: id } }
      : { $or: [{ [key.field]: { [op]: value } }, { [key.field]: value, id: { [op]: id } }] };
    paged = { $and: [where, after] } as FilterQuery<T>;
  }
  const rows = await em.find(entity, paged, {
    orderBy: (byIdAlone
      ? { id: key.dir }
      : { [key.field]: key.dir, id: key.dir }) as FindOptions<T>['orderBy'],
    limit: limit + 1,
    populate: opts.populate as FindOptions<T>['populate'],
  });
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  let nextCursor: string | null = null;
  if (rows.length > limit && last) {
    const raw = (last as unknown as Record<string, unknown>)[key.field];
    nextCursor = encodeCursor(raw instanceof Date ? raw.getTime() : (raw as SortValue), last.id);
  }
  return { items, nextCursor };
}

/**
 * One page of `entity` matching `where`, ordered by `key` then id, with the total count of `where`. A
 * filter with raw SQL keys (MikroORM's `raw()`, whose key is good for one query) is given as a function
 * and built once for the count and once for the page.
 */
export async function seekPage<T extends { id: string }>(
  em: EntityManager,
  entity: EntityName<T>,
  where: FilterQuery<T> | (() => FilterQuery<T>),
  opts: { key: SortKey; limit: number; cursor?: string; populate?: string[] },
): Promise<Page<T>> {
  const build = typeof where === 'function' ? where : () => where;
  const [total, page] = await Promise.all([
    em.fork().count(entity, build()),
    seekRows(em, entity, build(), opts),
  ]);
  return { ...page, total };
}
