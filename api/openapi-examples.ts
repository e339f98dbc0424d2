/**
 * An example value for a JSON schema, made from the schema itself (its enums, formats, bounds) and the
 * field's name, so every route in /openapi.json shows a request and an answer a caller can start from.
 * A test checks each example against the route's own zod schema, so an example cannot drift from what the
 * engine accepts and sends.
 */
type Schema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  format?: string;
  pattern?: string;
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  additionalProperties?: Schema | boolean;
};

const BY_NAME: [RegExp, unknown][] = [
  [/email/, 'ada@example.com'],
  [/^(tier|tier_id|new_tier_id|new_tier|plan_id|plan_code|code|id)$/, 'professional'],
  [/billing_cycle/, 'monthly'],
  // A model's cost per million tokens of a kind, in cents.
  [/^(input|cached|output|reasoning)$/, '250'],
  [/^model$/, 'gpt-4o'],
  // `currencies` too, whose items are named `currencie`.
  [/currenc/, 'usd'],
  [/(^|_)url$/, 'https://billing.example.com/billing'],
  [/stripe_invoice_id|invoice_id/, 'in_1QxExampleInvoice'],
  [/payment_method_id/, 'pm_1QxExampleCard'],
  [/stripe_subscription_id/, 'sub_1QxExampleSubscription'],
  [/stripe_customer_id/, 'cus_QxExampleCustomer'],
  [/subscription_id/, 'subs_01JD5EXAMPLE'],
  [/^pack_id$/, 'pack_01jd5example0packabc'],
  [/user_id|sub$/, 'kc-2f1d8e0a'],
  [/provider/, 'openai'],
  [/api_key/, 'sk-example-0123456789abcdefghijklmnopqrstuv'],
  [/type$/, 'inference'],
  [/reason/, 'requested_by_customer'],
  [/name/, 'Professional'],
  [/month$/, '2026-10'],
];

export function exampleOf(schema: Schema | undefined, name = '', depth = 0): unknown {
  if (!schema || depth > 12) return null;
  if (schema.const !== undefined) return schema.const;
  if (schema.default !== undefined) return schema.default;
  if (schema.enum?.length) return schema.enum[0];
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants?.length) {
    // A money field that takes dollars as a number or a string shows the number.
    const numeric = /price|amount/.test(name) ? variants.find((v) => v.type === 'number') : undefined;
    const concrete = numeric ?? variants.find((v) => v.type !== 'null') ?? variants[0];
    return exampleOf(concrete, name, depth + 1);
  }
  const type = Array.isArray(schema.type) ? (schema.type.find((t) => t !== 'null') ?? 'null') : schema.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [key, prop] of Object.entries(schema.properties ?? {})) {
        out[key] = exampleOf(prop, key, depth + 1);
      }
      return out;
    }
    case 'array': {
      const item = exampleOf(schema.items, name.replace(/s$/, ''), depth + 1);
      return Array.from({ length: Math.max(1, schema.minItems ?? 1) }, () => item);
    }
    case 'integer':
    case 'number':
      return numberFor(schema, name, type === 'integer');
    case 'boolean':
      return false;
    case 'null':
      return null;
    case 'string':
      return stringFor(schema, name);
    default:
      return null;
  }
}

function numberFor(s: Schema, name: string, integer: boolean): number {
  let n = /cents|amount/.test(name)
    ? 4900
    : /limit/.test(name)
      ? 10
      : /quantity|count|calls|credits/.test(name)
        ? 100
        : 1;
  if (!integer && /amount|price|revenue|mrr|arr/.test(name)) n = 49;
  if (s.minimum !== undefined && n < s.minimum) n = s.minimum;
  if (s.exclusiveMinimum !== undefined && n <= s.exclusiveMinimum) n = s.exclusiveMinimum + 1;
  if (s.maximum !== undefined && n > s.maximum) n = s.maximum;
  return n;
}

function stringFor(s: Schema, name: string): string {
  switch (s.format) {
    case 'email':
      return 'ada@example.com';
    case 'date-time':
      return '2026-11-01T00:00:00.000Z';
    case 'date':
      return '2026-11-01';
    case 'uri':
    case 'url':
      return 'https://billing.example.com/billing';
    case 'uuid':
      return '8d0f2a5e-6c3b-4d7e-9a1f-2b3c4d5e6f70';
  }
  const named = BY_NAME.find(([re]) => re.test(name))?.[1];
  let v = typeof named === 'string' ? named : 'example';
  if (s.pattern && !new RegExp(s.pattern).test(v)) v = 'example';
  if (s.minLength !== undefined && v.length < s.minLength) v = v.padEnd(s.minLength, 'x');
  if (s.maxLength !== undefined && v.length > s.maxLength) v = v.slice(0, s.maxLength);
  return v;
}
