import fc from 'fast-check';

/** The subset of JSON Schema that zod's toJSONSchema writes for the engine's request schemas. */
export interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
}

let deep: unknown = 'bottom';
for (let i = 0; i < 60; i++) deep = { d: deep };

/** What a hostile or careless caller puts where a value belongs. */
export const HOSTILE_VALUES: unknown[] = [
  's\ud800',
  '\udc00',
  'a\u0000b',
  'x\u001b[2J',
  '\u007f',
  '\u0085',
  '\u202eevil',
  '',
  ' ',
  'A'.repeat(5000),
  '😀'.repeat(300),
  "' or 1=1 --",
  '../../etc/passwd',
  '%00',
  '__proto__',
  '1e309',
  0,
  -1,
  1.5,
  -0,
  2 ** 53 + 2,
  1e308,
  -1e308,
  true,
  false,
  null,
  [],
  {},
  [[[[[[[[]]]]]]]],
  { __proto__: { admin: true } },
  deep,
];

const hostile = fc.constantFrom(...HOSTILE_VALUES);

function stringFor(s: JsonSchema): fc.Arbitrary<string> {
  const min = s.minLength ?? 0;
  const max = Math.min(s.maxLength ?? 40, Math.max(min, 40));
  if (s.format === 'email') return fc.emailAddress().filter((e) => e.length <= (s.maxLength ?? 320));
  if (s.format === 'uri') return fc.webUrl();
  if (s.format === 'date-time') return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
  if (s.pattern) {
    return fc
      .stringMatching(new RegExp(s.pattern))
      .filter((v) => v.length >= min && v.length <= (s.maxLength ?? Infinity));
  }
  return fc.string({ minLength: min, maxLength: max, unit: 'grapheme' });
}

function numberFor(s: JsonSchema, integer: boolean): fc.Arbitrary<number> {
  const lo = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : -1_000_000);
  const hi = s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - 1 : 1_000_000);
  const min = Math.max(lo, -Number.MAX_SAFE_INTEGER);
  const max = Math.min(hi, Number.MAX_SAFE_INTEGER);
  return integer ? fc.integer({ min, max }) : fc.double({ min, max, noNaN: true });
}

/** Values worth trying for a field or parameter of this name. */
export type Hints = Record<string, unknown[]>;

/**
 * Values for a schema: mostly ones it accepts, and at every node, now and then, a hostile value instead
 * (`hostileWeight` in 10), or an object with a key the schema does not know.
 */
export function arbitraryFor(
  schema: JsonSchema,
  hostileWeight = 1,
  depth = 0,
  hints: Hints = {},
  name?: string,
): fc.Arbitrary<unknown> {
  const generated = validFor(schema, hostileWeight, depth, hints);
  const known = name ? hints[name] : undefined;
  // Values that exist in the engine (a plan code, a customer's email) reach past "not found".
  const valid = known?.length ? fc.oneof(fc.constantFrom(...known), generated) : generated;
  if (hostileWeight === 0) return valid;
  return fc.oneof(
    { weight: 10 - hostileWeight, arbitrary: valid },
    { weight: hostileWeight, arbitrary: hostile },
  );
}

function validFor(s: JsonSchema, hostileWeight: number, depth: number, hints: Hints): fc.Arbitrary<unknown> {
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map((a) => arbitraryFor(a, hostileWeight, depth, hints)));
  if (s.allOf?.length) return arbitraryFor(s.allOf[0] as JsonSchema, hostileWeight, depth, hints);
  const types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  if (types.length > 1)
    return fc.oneof(...types.map((t) => validFor({ ...s, type: t }, hostileWeight, depth, hints)));
  switch (types[0]) {
    case 'string':
      return stringFor(s);
    case 'integer':
      return numberFor(s, true);
    case 'number':
      return numberFor(s, false);
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(arbitraryFor(s.items ?? {}, hostileWeight, depth + 1, hints), {
        minLength: s.minItems ?? 0,
        maxLength: Math.min(s.maxItems ?? 4, Math.max(s.minItems ?? 0, 4)),
      });
    case 'object': {
      const props = s.properties ?? {};
      const record = fc.record(
        Object.fromEntries(
          Object.entries(props).map(([k, v]) => [k, arbitraryFor(v, hostileWeight, depth + 1, hints, k)]),
        ),
        { requiredKeys: (s.required ?? []).filter((k) => k in props) },
      );
      if (hostileWeight === 0) return record;
      // Now and then a key the schema does not declare: a strict schema must refuse it.
      return fc
        .tuple(
          record,
          fc.oneof(
            { weight: 7, arbitrary: fc.constant(null) },
            fc.constantFrom('unexpected', 'is_admin', '__proto__'),
          ),
        )
        .map(([r, extra]) => (extra ? Object.assign(Object.create(null), r, { [extra]: 1 }) : r) as unknown);
    }
    default:
      // Anything: metadata and other free-form values.
      return depth > 3 ? fc.jsonValue({ maxDepth: 1 }) : fc.jsonValue({ maxDepth: 3 });
  }
}

/**
 * Percent-encodes any string; a lone surrogate (which encodeURIComponent refuses) is written as the
 * three bytes a careless encoder produces for it, which are not UTF-8.
 */
export function percentEncode(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    let out = '';
    for (const ch of text) {
      const u = ch.codePointAt(0) as number;
      if (u >= 0xd800 && u <= 0xdfff) {
        out += [0xe0 | (u >> 12), 0x80 | ((u >> 6) & 0x3f), 0x80 | (u & 0x3f)]
          .map((b) => `%${b.toString(16).toUpperCase()}`)
          .join('');
      } else out += encodeURIComponent(ch);
    }
    return out;
  }
}
