/**
 * What text the engine accepts from outside. A lone UTF-16 surrogate cannot be stored faithfully (drivers
 * replace it with U+FFFD, so the stored value differs from the one compared), and control characters have
 * no place in ids, names or emails; both are refused at the edge instead of reaching SQL or Stripe.
 */

/** Why a string is refused, or null when it is acceptable text. */
export type TextProblem = 'malformed_unicode' | 'control_character' | 'too_long';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// C0 controls except tab, line feed and carriage return; DEL; C1 controls.
const FREE_TEXT_CONTROLS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;
// Identifiers also refuse tab and line breaks, and the Unicode line and paragraph separators.
const IDENTIFIER_CONTROLS = /[\u0000-\u001F\u007F-\u009F\u2028\u2029]/;

export interface TextRules {
  /** Identifiers (ids, codes, emails) refuse every control character; free text keeps tab and newlines. */
  kind: 'identifier' | 'free';
  /** Upper bound in UTF-16 code units, the unit JavaScript and zod count in. */
  maxLength?: number;
}

export function textProblem(value: string, rules: TextRules): TextProblem | null {
  if (LONE_SURROGATE.test(value)) return 'malformed_unicode';
  if ((rules.kind === 'identifier' ? IDENTIFIER_CONTROLS : FREE_TEXT_CONTROLS).test(value))
    return 'control_character';
  if (rules.maxLength !== undefined && value.length > rules.maxLength) return 'too_long';
  return null;
}

export const TEXT_PROBLEM_MESSAGES: Record<TextProblem, string> = {
  malformed_unicode: 'must be well-formed Unicode (no lone surrogates)',
  control_character: 'must not contain control characters',
  too_long: 'is too long',
};

/**
 * The form a string is compared and stored in: Unicode NFC, so "é" typed as one code point or as "e" and a
 * combining accent is one event id, one name, one email.
 */
export function canonicalText(value: string): string {
  return value.normalize('NFC');
}
