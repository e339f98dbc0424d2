import { badRequest } from './errors';

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Rails' `params.require(:key)`: a missing root object is a 400, not a validation error. */
export function requireRoot(body: Record<string, unknown>, key: string): Record<string, unknown> {
  const value = body[key];
  if (!isObject(value)) throw badRequest(`param is missing or the value is empty: ${key}`);
  return value;
}

/** A non-blank string or null; Lago strips and treats blank as missing. */
export function text(value: unknown): string | null {
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

export function pageOf<T>(items: T[], query: URLSearchParams, defaultPerPage = 20) {
  const perPage = Math.max(1, Number(query.get('per_page')) || defaultPerPage);
  const page = Math.max(1, Number(query.get('page')) || 1);
  const totalPages = Math.ceil(items.length / perPage);
  return {
    items: items.slice((page - 1) * perPage, page * perPage),
    meta: {
      current_page: page,
      next_page: page < totalPages ? page + 1 : null,
      prev_page: page > 1 ? page - 1 : null,
      total_pages: totalPages,
      total_count: items.length,
    },
  };
}
