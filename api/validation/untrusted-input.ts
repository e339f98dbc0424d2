import { AppError } from '../../domain/errors';
import { canonicalText, TEXT_PROBLEM_MESSAGES, textProblem, type TextProblem } from '../../domain/text';

/**
 * Bounds every request input obeys before a route's own schema sees it. Schemas then narrow each field;
 * these catch what a schema of `z.unknown()` (metadata) or a forgotten `.max()` would let through.
 */
export const INPUT_LIMITS = {
  /** Objects and arrays nested deeper than this are refused (recursive code downstream stays shallow). */
  maxDepth: 32,
  /** Longest string anywhere, in UTF-16 code units; fields set tighter bounds of their own. */
  maxStringLength: 65_536,
  /** Longest object key. */
  maxKeyLength: 200,
} as const;

export type InputProblem = TextProblem | 'too_deep' | 'forbidden_key' | 'malformed_percent_encoding';

const MESSAGES: Record<InputProblem, string> = {
  ...TEXT_PROBLEM_MESSAGES,
  too_deep: `nests objects or arrays more than ${INPUT_LIMITS.maxDepth} levels deep`,
  forbidden_key: 'uses a reserved key name',
  malformed_percent_encoding: 'is not percent-encoded UTF-8',
};

export class InputRejected extends AppError {
  constructor(
    readonly field: string,
    readonly problem: InputProblem,
  ) {
    const message = `${field}: ${MESSAGES[problem]}`;
    super('invalid', 'validation_failed', message, {
      field,
      reason: problem,
      issues: [{ field, message: MESSAGES[problem] }],
    });
  }
}

/**
 * Checks a decoded input (query, path parameters, JSON body) and returns a copy with every string in NFC.
 * Throws InputRejected naming the first field at fault: malformed Unicode, a control character other than
 * tab and line breaks, a key that is not a plain identifier, a string over the global bound, or nesting
 * deeper than the bound. Iterates no deeper than the bound, so hostile nesting cannot overflow the stack.
 */
export function guardInput(value: unknown, field: string): unknown {
  return visit(value, field, 0);
}

function visit(value: unknown, field: string, depth: number): unknown {
  if (typeof value === 'string') {
    if (isPlain(value, INPUT_LIMITS.maxStringLength)) return value;
    const problem = textProblem(value, { kind: 'free', maxLength: INPUT_LIMITS.maxStringLength });
    if (problem) throw new InputRejected(field, problem);
    return canonicalText(value);
  }
  if (value === null || typeof value !== 'object') return value;
  if (depth >= INPUT_LIMITS.maxDepth) throw new InputRejected(field, 'too_deep');
  if (Array.isArray(value))
    return value.map((v, i) => (settled(v) ? v : visit(v, `${field}.${i}`, depth + 1)));
  const entries: [string, unknown][] = [];
  for (const [key, v] of Object.entries(value)) {
    const plainKey = isPlain(key, INPUT_LIMITS.maxKeyLength);
    if (!plainKey) {
      const problem = textProblem(key, { kind: 'identifier', maxLength: INPUT_LIMITS.maxKeyLength });
      if (problem) throw new InputRejected(`${field}.${printable(key)}`, problem);
    }
    if (key === '__proto__') throw new InputRejected(`${field}.${key}`, 'forbidden_key');
    // The field's path is spelt out only when the value needs a look of its own.
    entries.push([
      plainKey ? key : canonicalText(key),
      settled(v) ? v : visit(v, `${field}.${key}`, depth + 1),
    ]);
  }
  // fromEntries defines own properties, so no key can reach a prototype.
  return Object.fromEntries(entries);
}

/**
 * Printable ASCII: no lone surrogate, no control character of either kind, and already in NFC, so there is
 * nothing to refuse or change. Most of what a gateway sends (ids, types, emails) is; the rest is checked
 * in full.
 */
const PLAIN = /^[\x20-\x7e]*$/;
const isPlain = (text: string, maxLength: number) => text.length <= maxLength && PLAIN.test(text);
/** A value nothing is left to check in: a number, a boolean, or a plain string. */
const settled = (v: unknown) =>
  typeof v === 'string' ? isPlain(v, INPUT_LIMITS.maxStringLength) : typeof v !== 'object';

/** A key as it can be named back to the caller (the raw key may be what is wrong with it). */
function printable(key: string): string {
  return JSON.stringify(key.slice(0, 40)).slice(1, -1);
}
