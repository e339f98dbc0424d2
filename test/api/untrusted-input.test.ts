import fc from 'fast-check';
import { canonicalText, textProblem } from '../../domain/text';
import { guardInput, INPUT_LIMITS, InputRejected } from '../../api/validation/untrusted-input';

/**
 * The guard as first written, every string and key checked and normalised in full: the model the guard's
 * shortcut for printable ASCII must agree with, value for value and refusal for refusal.
 */
function model(value: unknown, field: string, depth = 0): unknown {
  if (typeof value === 'string') {
    const problem = textProblem(value, { kind: 'free', maxLength: INPUT_LIMITS.maxStringLength });
    if (problem) throw new InputRejected(field, problem);
    return canonicalText(value);
  }
  if (value === null || typeof value !== 'object') return value;
  if (depth >= INPUT_LIMITS.maxDepth) throw new InputRejected(field, 'too_deep');
  if (Array.isArray(value)) return value.map((v, i) => model(v, `${field}.${i}`, depth + 1));
  const entries: [string, unknown][] = [];
  for (const [key, v] of Object.entries(value)) {
    const problem = textProblem(key, { kind: 'identifier', maxLength: INPUT_LIMITS.maxKeyLength });
    if (problem)
      throw new InputRejected(`${field}.${JSON.stringify(key.slice(0, 40)).slice(1, -1)}`, problem);
    if (key === '__proto__') throw new InputRejected(`${field}.${key}`, 'forbidden_key');
    entries.push([canonicalText(key), model(v, `${field}.${key}`, depth + 1)]);
  }
  return Object.fromEntries(entries);
}

/** What a call answers: the value, or the refusal's field and reason. */
function outcome(run: () => unknown): unknown {
  try {
    return { value: run() };
  } catch (err) {
    if (!(err instanceof InputRejected)) throw err;
    return { refused: err.details };
  }
}

// Text near every edge the shortcut draws: printable ASCII beside DEL, tab and line breaks, C1 controls,
// lone and paired surrogates, text NFC changes ("e" and a combining accent), the line separators keys
// refuse, and strings at and past the bounds.
const edgeChars = fc.constantFrom(
  'a',
  'Z',
  '~',
  ' ',
  '\u007f',
  '\t',
  '\n',
  '\r',
  '\u0000',
  '\u001f',
  '\u0085',
  '\u009f',
  '\u00a0',
  'é',
  'e\u0301',
  '\u2028',
  '\ud83d\ude00',
  '\ud83d',
  '\ude00',
  'Å',
  '\u212b',
);
const text = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.array(edgeChars, { maxLength: 8 }).map((parts) => parts.join('')),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom(
    'x'.repeat(INPUT_LIMITS.maxKeyLength),
    'x'.repeat(INPUT_LIMITS.maxKeyLength + 1),
    'y'.repeat(INPUT_LIMITS.maxStringLength),
    'y'.repeat(INPUT_LIMITS.maxStringLength + 1),
    '__proto__',
    'constructor',
  ),
);
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    text,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(text, tie('value'), { maxKeys: 4 }),
  ),
})).value;

describe('the guard on untrusted input', () => {
  it('answers as the full check does for any JSON value: the same copy, or the same refusal naming the same field', () => {
    fc.assert(
      fc.property(json, (input) => {
        // Through JSON, as a body arrives: `__proto__` as an own key, nothing but JSON's types.
        const value: unknown = JSON.parse(JSON.stringify(input) ?? 'null');
        expect(outcome(() => guardInput(value, 'body'))).toEqual(outcome(() => model(value, 'body')));
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses by the same rules at every depth, up to the nesting bound and past it', () => {
    for (const leaf of [
      'ok',
      'bad\u0000',
      'e\u0301',
      { '\u007fkey': 1 },
      { __proto__: null, ok: 'x\ud800' },
    ]) {
      for (const depth of [0, 1, 5, INPUT_LIMITS.maxDepth - 1, INPUT_LIMITS.maxDepth]) {
        let value: unknown = leaf;
        for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { k: value };
        const parsed: unknown = JSON.parse(JSON.stringify(value));
        expect(outcome(() => guardInput(parsed, 'body'))).toEqual(outcome(() => model(parsed, 'body')));
      }
    }
  });

  it('keeps printable ASCII as sent and normalises the rest to NFC', () => {
    const guarded = guardInput(
      JSON.parse('{"id":"r-1","name":"Cafe\\u0301","\\u212bngstrom":["A\\u030a"]}'),
      'body',
    );
    expect(guarded).toEqual({ id: 'r-1', name: 'Café', Ångstrom: ['Å'] });
  });
});
