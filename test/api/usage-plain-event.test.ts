import fc from 'fast-check';
import { plainEvent } from '../../api/routes/usage/plain-event';
import { parseOne } from '../../api/routes/usage/schemas';
import { MAX_QUANTITY_PER_EVENT } from '../../domain/usage';

/**
 * The gateway's common event is taken without the input guard and the schema: whatever it takes must be
 * exactly what the schema makes of it, so the near misses of each field's rule are generated on purpose.
 */
describe('the plain event, taken without the schema', () => {
  const ascii = (min: number, max: number) =>
    fc.string({
      unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
      minLength: min,
      maxLength: max,
    });
  const text = fc.oneof(
    { weight: 6, arbitrary: ascii(1, 12) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '',
        ' ',
        'x'.repeat(200),
        'x'.repeat(201),
        'a\u007f',
        'a\tb',
        'é',
        'e\u0301',
        '\ud800',
        'a\nb',
        '\u0000',
      ),
    },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
  );
  const type = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom('inference', 'embedding', 'tts') },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        'Inference',
        '1nference',
        'a'.repeat(32),
        'a'.repeat(33),
        'in ference',
        '',
        'in-fer_2',
      ),
    },
  );
  const quantity = fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 1, max: 1000 }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        0,
        -1,
        1.5,
        MAX_QUANTITY_PER_EVENT,
        MAX_QUANTITY_PER_EVENT + 1,
        Number.NaN,
        2 ** 53,
        -0,
      ),
    },
    { weight: 1, arbitrary: fc.constantFrom('1', null, true, [1]) },
  );
  const subject = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom('proj-1', 'key:a.b@c+d', 'x'.repeat(100)) },
    { weight: 1, arbitrary: fc.constantFrom('x'.repeat(101), 'a b', '', 'é', 'a/b') },
  );
  const other = fc.constantFrom(
    'customer_email',
    'timestamp',
    'metadata',
    'byok',
    'extra',
    '__proto__',
    'ID',
  );
  const event = fc
    .record(
      {
        id: fc.oneof({ weight: 8, arbitrary: text }, { weight: 1, arbitrary: fc.constantFrom(1, null) }),
        type,
        quantity,
        user_id: fc.oneof({ weight: 8, arbitrary: text }, { weight: 1, arbitrary: fc.constant(7) }),
        subject,
      },
      // A missing id, type or quantity is left to the schema by the same checks as a wrong one.
      { requiredKeys: ['id', 'type', 'quantity'] },
    )
    .chain((e) =>
      fc
        .oneof({ weight: 6, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: other })
        .map((key) => (key === null ? e : { ...JSON.parse(`{"${key}":true}`), ...e })),
    );
  const defaults = fc.record(
    { email: fc.constant('team@example.com'), userId: fc.constant('kc-team') },
    { requiredKeys: [] },
  );

  it('takes only what the schema takes, as the schema reads it', () => {
    let taken = 0;
    fc.assert(
      fc.property(event, fc.nat(999), defaults, (input, index, d) => {
        // Through JSON, as a request's body arrives.
        const sent = JSON.parse(JSON.stringify(input)) as unknown;
        const plain = plainEvent(sent, index, d);
        if (plain === null) return;
        taken++;
        expect(parseOne(sent, index, d, 'body')).toEqual({ ok: true, event: plain });
      }),
      { numRuns: 20_000 },
    );
    // The common form is taken most of the time: the comparison above is not an empty one.
    expect(taken).toBeGreaterThan(2_000);
  });

  it('leaves to the schema what it does not take', () => {
    const base = { id: 'e-1', type: 'inference', quantity: 1 };
    expect(plainEvent(base, 0, {})).not.toBeNull();
    for (const other of [
      { ...base, customer_email: 'a@example.com' },
      { ...base, id: 'x'.repeat(201) },
      { ...base, id: 'é' },
      { ...base, quantity: MAX_QUANTITY_PER_EVENT + 1 },
      { ...base, subject: 'x'.repeat(101) },
      JSON.parse('{"__proto__":{},"id":"e-1","type":"inference","quantity":1}'),
      [base],
    ])
      expect(plainEvent(other, 0, {})).toBeNull();
  });
});
