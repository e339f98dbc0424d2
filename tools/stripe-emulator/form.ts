/**
 * Stripe's wire format: application/x-www-form-urlencoded with bracket notation (`metadata[k]=v`,
 * `items[0][price]=p`, `expand[]=x`). Values stay strings; each handler decides how to coerce them,
 * because Stripe treats an empty string as "unset" and that distinction must survive parsing.
 */
export type FormValue = string | FormValue[] | { [key: string]: FormValue };
export type Params = { [key: string]: FormValue };

function keyPath(raw: string): string[] {
  const open = raw.indexOf('[');
  if (open <= 0) return [raw];
  const parts = [raw.slice(0, open)];
  const re = /\[([^\]]*)\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(raw.slice(open))) !== null) parts.push(m[1] ?? '');
  return parts;
}

type Node = { [key: string]: Node | string };

function assign(root: Node, path: string[], value: string): void {
  let node = root;
  for (let i = 0; i < path.length; i++) {
    let key = path[i] ?? '';
    // `a[]=x` appends; give it a numeric key past the ones already present so arrays keep their order.
    if (key === '') key = String(Object.keys(node).length);
    if (i === path.length - 1) {
      node[key] = value;
      return;
    }
    const next = node[key];
    if (typeof next === 'object') node = next;
    else node = node[key] = {};
  }
}

function arraysFromIndexedObjects(node: Node | string): FormValue {
  if (typeof node === 'string') return node;
  const keys = Object.keys(node);
  const converted: Record<string, FormValue> = {};
  for (const k of keys) converted[k] = arraysFromIndexedObjects(node[k] as Node | string);
  if (keys.length > 0 && keys.every((k) => /^\d+$/.test(k))) {
    return keys.sort((a, b) => Number(a) - Number(b)).map((k) => converted[k] as FormValue);
  }
  return converted;
}

export function parseForm(body: string): Params {
  const root: Node = {};
  for (const [k, v] of new URLSearchParams(body)) assign(root, keyPath(k), v);
  const out = arraysFromIndexedObjects(root);
  return typeof out === 'object' && !Array.isArray(out) ? out : {};
}
