import { invalidParam, missingParam } from './errors';
import type { FormValue, Params } from './form';

/** Typed reads of form params that fail with the same `parameter_missing`/`parameter_invalid` errors as Stripe. */
export function optString(p: Params, name: string): string | undefined {
  const v = p[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw invalidParam(name);
  return v;
}

export function reqString(p: Params, name: string): string {
  const v = optString(p, name);
  if (v === undefined || v === '') throw missingParam(name);
  return v;
}

export function optInt(p: Params, name: string): number | undefined {
  const v = optString(p, name);
  if (v === undefined || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw invalidParam(name, `Invalid integer: ${v}`);
  return Number(v);
}

export function optBool(p: Params, name: string): boolean | undefined {
  const v = optString(p, name);
  if (v === undefined || v === '') return undefined;
  if (v !== 'true' && v !== 'false') throw invalidParam(name, `Invalid boolean: ${v}`);
  return v === 'true';
}

export function optObject(p: Params, name: string): Params | undefined {
  const v = p[name];
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw invalidParam(name, `Invalid object`);
  return v;
}

/** Arrays may arrive as `a[0][x]` (an array) or, when sparse, as objects keyed by index. */
export function optArray(p: Params, name: string): FormValue[] | undefined {
  const v = p[name];
  if (v === undefined || v === '') return undefined;
  if (Array.isArray(v)) return v;
  if (typeof v === 'object') return Object.values(v);
  throw invalidParam(name, `Invalid array`);
}

export function stringList(p: Params, name: string): string[] {
  return (optArray(p, name) ?? []).filter((v): v is string => typeof v === 'string');
}

export function objectList(p: Params, name: string): Params[] {
  return (optArray(p, name) ?? []).map((v) => {
    if (typeof v !== 'object' || Array.isArray(v)) throw invalidParam(name);
    return v;
  });
}

/** Metadata updates merge key by key, and an empty value deletes the key, as in Stripe. */
export function mergeMetadata(current: Record<string, string>, p: Params): Record<string, string> {
  const v = p['metadata'];
  if (v === undefined) return current;
  if (v === '') return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw invalidParam('metadata');
  const next = { ...current };
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string') throw invalidParam(`metadata[${k}]`);
    if (val === '') delete next[k];
    else next[k] = val;
  }
  return next;
}

export function timestampOrNow(p: Params, name: string, now: number): number | 'now' | undefined {
  const v = optString(p, name);
  if (v === undefined || v === '') return undefined;
  if (v === 'now') return 'now';
  if (!/^\d+$/.test(v)) throw invalidParam(name);
  return v === String(now) ? now : Number(v);
}
