import { invalidRequest } from './errors';

type Lookup = (id: string) => unknown;

/** Fields Stripe leaves out of an object unless `expand[]` names them (a price's `tiers`). */
const INCLUDABLE = Symbol('includable');
type WithIncludable = Record<string, unknown> & { [INCLUDABLE]?: Record<string, unknown> };

/** Leaves `key` out of a rendered object until an expansion asks for it. */
export function holdUntilExpanded(obj: Record<string, unknown>, key: string, value: unknown): void {
  const o = obj as WithIncludable;
  o[INCLUDABLE] = { ...o[INCLUDABLE], [key]: value };
  delete o[key];
}

/**
 * Applies `expand[]` paths (`latest_invoice.payment_intent`, `data.default_payment_method`) to a rendered
 * response: a string id found on the path is replaced by the rendered object it names, and arrays fan out.
 */
export function applyExpansions(value: unknown, paths: string[], lookup: Lookup): unknown {
  for (const path of paths) {
    const parts = path.split('.');
    if (parts.length > 4)
      throw invalidRequest('You cannot expand more than 4 levels of a property.', 'expand');
    value = expandPath(value, parts, lookup, path);
  }
  return value;
}

function expandPath(node: unknown, parts: string[], lookup: Lookup, full: string): unknown {
  if (Array.isArray(node)) return node.map((n) => expandPath(n, parts, lookup, full));
  if (node === null || typeof node !== 'object') return node;
  const [head, ...rest] = parts;
  if (head === undefined) return node;
  const obj = node as Record<string, unknown>;
  const held = (obj as WithIncludable)[INCLUDABLE];
  if (!(head in obj) && held && head in held) obj[head] = held[head];
  if (!(head in obj)) {
    throw invalidRequest(`This property cannot be expanded (${head}).`, 'expand');
  }
  const one = (v: unknown) => (typeof v === 'string' ? (lookup(v) ?? v) : v);
  let child = obj[head];
  // A list of ids (a subscription's `discounts`) expands id by id.
  child = Array.isArray(child) ? child.map(one) : one(child);
  obj[head] = rest.length > 0 ? expandPath(child, rest, lookup, full) : child;
  return obj;
}
