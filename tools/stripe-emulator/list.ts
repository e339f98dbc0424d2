import { invalidParam, noSuch } from './errors';
import type { Params } from './form';
import { optInt, optString } from './params';

export interface ListEnvelope<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  url: string;
}

/** Cursor pagination over an already filtered, newest-first array, with Stripe's limit bounds (1..100). */
export function paginate<T extends { id: string }>(items: T[], p: Params, url: string): ListEnvelope<T> {
  const limit = optInt(p, 'limit') ?? 10;
  if (limit < 1 || limit > 100) throw invalidParam('limit', 'This value must be between 1 and 100.');
  const after = optString(p, 'starting_after');
  const before = optString(p, 'ending_before');
  if (after) {
    const i = items.findIndex((x) => x.id === after);
    if (i < 0) throw noSuch('object', after, 'starting_after');
    const rest = items.slice(i + 1);
    return { object: 'list', data: rest.slice(0, limit), has_more: rest.length > limit, url };
  }
  if (before) {
    const i = items.findIndex((x) => x.id === before);
    if (i < 0) throw noSuch('object', before, 'ending_before');
    const head = items.slice(0, i);
    return { object: 'list', data: head.slice(-limit), has_more: head.length > limit, url };
  }
  return { object: 'list', data: items.slice(0, limit), has_more: items.length > limit, url };
}

export function listOf<T>(data: T[], url: string): ListEnvelope<T> {
  return { object: 'list', data, has_more: false, url };
}
