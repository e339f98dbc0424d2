import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayClient } from '../src';
import { textProblem } from '../../../domain/text';
import { SUBJECT_PATTERN } from '../../../domain/subject-budgets';

/**
 * What a careless or hostile caller hands the client: a quantity that is negative, fractional, not a
 * number or past the engine's limit, a type the engine would refuse, an empty or huge id, an invalid date,
 * no customer. Each is refused at once, and nothing of it is counted or kept.
 */
describe("the gateway client's input", () => {
  let dir: string;
  let client: GatewayClient;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-input-'));
    // Nothing is sent in these tests: the engine's address is never reached.
    client = await GatewayClient.start({
      baseUrl: 'http://127.0.0.1:9',
      token: 't',
      spoolDir: dir,
      flushIntervalMs: 60_000,
    });
  });
  afterAll(async () => {
    await client.close(10);
    rmSync(dir, { recursive: true, force: true });
  });

  const valid = (q: unknown) => typeof q === 'number' && Number.isSafeInteger(q) && q >= 1 && q <= 1_000_000;

  it('takes a usage quantity only as a whole number from 1 to 1,000,000', async () => {
    const customer = { email: 'careless@example.com' };
    let kept = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.integer({ min: -2_000_000, max: 2_000_000 }),
          fc.double(),
          fc.constantFrom(NaN, Infinity, -Infinity, 0, -0, 2 ** 53, 1.5, 1_000_001),
          fc.string(),
          fc.constant(null),
          fc.bigInt(),
        ),
        async (quantity) => {
          const p = client.record(customer, { type: 'inference', quantity: quantity as number });
          if (valid(quantity)) {
            await expect(p).resolves.toMatch(/^gw_/);
            kept++;
          } else await expect(p).rejects.toThrow(RangeError);
          expect(client.stats().pending).toBe(kept);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses a bad type, id, timestamp or customer before counting anything', async () => {
    const before = client.stats().pending;
    const customer = { userId: 'kc-1' };
    const bad: [unknown, Parameters<GatewayClient['record']>[1]][] = [
      [customer, { type: 'Inference', quantity: 1 }],
      [customer, { type: 'inference\u0000', quantity: 1 }],
      [customer, { type: '', quantity: 1 }],
      [customer, { type: 'inference', quantity: 1, id: '' }],
      [customer, { type: 'inference', quantity: 1, id: 'x'.repeat(201) }],
      [customer, { type: 'inference', quantity: 1, id: 'lone \ud800' }],
      [customer, { type: 'inference', quantity: 1, id: 'line\nbreak' }],
      [{ userId: 'kc\u0000' }, { type: 'inference', quantity: 1 }],
      [customer, { type: 'inference', quantity: 1, timestamp: new Date('nope') }],
      [{}, { type: 'inference', quantity: 1 }],
      [null, { type: 'inference', quantity: 1 }],
      [{ email: 42 }, { type: 'inference', quantity: 1 }],
    ];
    for (const [ref, usage] of bad)
      await expect(client.record(ref as { userId: string }, usage)).rejects.toThrow(
        /type|id|timestamp|customer/,
      );
    expect(client.stats().pending).toBe(before);
  });

  it("refuses an id or a customer's user id or email exactly when the engine would refuse it as an identifier", async () => {
    // Any UTF-16 code units, lone surrogates and controls included, beside ordinary and tricky text.
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 12 }),
      fc.string({ unit: 'grapheme', maxLength: 12 }),
      fc.constantFrom(
        '\ud800',
        'a\udc00b',
        'x\u2028y',
        'tab\there',
        'nul\u0000',
        'del\u007f',
        'c1\u0085',
        'é',
        '😀',
        '',
      ),
    );
    const engineTakes = (v: string, max: number) =>
      v.length >= 1 && v.length <= max && textProblem(v, { kind: 'identifier' }) === null;
    let kept = client.stats().pending;
    let run = 0;
    await fc.assert(
      fc.asyncProperty(text, fc.constantFrom('id', 'userId', 'email'), async (v, where) => {
        // An event id is made unique by a clean prefix (a repeated id is one event, counted once); the
        // prefix changes neither a lone surrogate nor a control character in what follows it.
        const sent = where === 'id' ? `${++run}-${v}` : v;
        const ref =
          where === 'userId' ? { userId: sent } : where === 'email' ? { email: sent } : { userId: 'kc-ok' };
        const usage = { type: 'inference', quantity: 1, ...(where === 'id' ? { id: sent } : {}) };
        const p = client.record(ref, usage);
        if (engineTakes(sent, where === 'email' ? 320 : 200)) {
          await expect(p).resolves.toEqual(expect.any(String));
          kept++;
        } else await expect(p).rejects.toThrow(RangeError);
        expect(client.stats().pending).toBe(kept);
      }),
      { numRuns: 400 },
    );
  });

  it('takes exactly the subjects the engine takes, and sends them', async () => {
    const subject = fc.oneof(
      fc.stringMatching(/^[A-Za-z0-9._:@+-]{1,100}$/),
      fc.string({ maxLength: 120, unit: 'binary' }),
      fc.constantFrom('a b', 'a/b', 'x'.repeat(101), '', 'é', 'nul\u0000', 'key_1', 'user:ann@example.com'),
    );
    let kept = client.stats().pending;
    await fc.assert(
      fc.asyncProperty(subject, async (v) => {
        const p = client.record({ userId: 'kc-ok' }, { type: 'inference', quantity: 1, subject: v });
        if (SUBJECT_PATTERN.test(v)) {
          await expect(p).resolves.toEqual(expect.any(String));
          kept++;
        } else await expect(p).rejects.toThrow(RangeError);
        expect(client.stats().pending).toBe(kept);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a question of a quantity below 1 or not whole, or a negative count in use', () => {
    const customer = { email: 'q@example.com' };
    for (const quantity of [0, -1, 1.5, NaN, Infinity])
      expect(() => client.decide(customer, 'api_calls', { quantity })).toThrow(RangeError);
    for (const inUse of [-1, 0.5, NaN])
      expect(() => client.decide(customer, 'seats', { inUse })).toThrow(RangeError);
    expect(client.decide(customer, 'api_calls', { quantity: 1, inUse: 0 })).toBeNull();
  });
});
