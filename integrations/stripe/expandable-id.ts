/**
 * The id of a Stripe field that is either an id or, when the request expanded it, the object itself
 * (`customer`, `invoice`, `charge`, `subscription`, ...).
 */
export function expandableId(v: string | { id: string }): string;
export function expandableId(v: unknown): string | null;
export function expandableId(v: unknown): string | null {
  if (typeof v === 'string') return v;
  return v && typeof v === 'object' && 'id' in v ? String(v.id) : null;
}
