import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { Subscription } from '../../db/entities';
import { seedBook, seededCall, seedUsage } from '../../services/setup/seed-book';
import { bookArguments } from '../../tools/seed-book';
import { workflowIds } from '../../workflows/ids';
import { startFullStack, type FullStack } from '../helpers/full-stack';

const ROOT = resolve(__dirname, '../..');
const run = promisify(execFile);

describe('npm run seed:book', () => {
  it.each`
    args                             | problem
    ${['--subscriptions', '0']}      | ${'--subscriptions must be a whole number from 1 to 100000'}
    ${['--subscriptions', '100001']} | ${'--subscriptions must be a whole number from 1 to 100000'}
    ${['--subscriptions', '1e3']}    | ${'--subscriptions must be a whole number from 1 to 100000'}
    ${['--subscriptions=-5']}        | ${'--subscriptions must be a whole number from 1 to 100000'}
    ${['--subscriptions', '12.5']}   | ${'--subscriptions must be a whole number from 1 to 100000'}
    ${['--plan', 'Star ter']}        | ${'--plan must be a plan code'}
    ${['--prefix', 'Book']}          | ${'--prefix must be 1 to 20'}
    ${['--prefix', 'b\u0000k']}      | ${'--prefix must be 1 to 20'}
    ${['--prefix', 'x'.repeat(21)]}  | ${'--prefix must be 1 to 20'}
    ${['--books', '3']}              | ${"Unknown option '--books'"}
    ${['--usage', '101']}            | ${'--usage must be a whole number of calls from 0 to 100'}
    ${['--usage=-1']}                | ${'--usage must be a whole number of calls from 0 to 100'}
    ${['--usage', 'some']}           | ${'--usage must be a whole number of calls from 0 to 100'}
    ${['extra']}                     | ${'Unexpected argument'}
  `('refuses $args', ({ args, problem }) => {
    expect(() => bookArguments(args)).toThrow(problem);
  });

  it('takes the defaults: a thousand Starter subscribers named book-N', () => {
    expect(bookArguments([])).toEqual({ subscriptions: 1000, plan: 'starter', prefix: 'book', usage: 0 });
  });

  it('exits 2 on a bad argument and on a live Stripe key, before touching anything', async () => {
    const tsx = resolve(ROOT, 'node_modules/.bin/tsx');
    const env = { PATH: process.env.PATH ?? '', DATABASE_URL: 'sqlite::memory:' };
    for (const [args, extra, said] of [
      [['--subscriptions', 'many'], {}, '--subscriptions must be'],
      [[], { STRIPE_SECRET_KEY: 'sk_live_abc' }, 'refuses a live Stripe key'],
    ] as const) {
      const failed = await run(tsx, ['tools/seed-book.ts', ...args], {
        cwd: ROOT,
        env: { ...env, ...extra },
      }).then(
        () => null,
        (err: { code: number; stderr: string }) => err,
      );
      expect({ code: failed?.code, said: failed?.stderr.includes(said) }).toEqual({ code: 2, said: true });
    }
  }, 60_000);

  describe('against the whole engine', () => {
    let stack: FullStack;
    beforeAll(async () => {
      stack = await startFullStack({ taskQueue: 'seed-book' });
    }, 120_000);
    afterAll(() => stack?.stop());

    it('makes a book of live subscriptions, each with its workflow, and a second run makes only what is missing', async () => {
      const deps = { orm: stack.db.orm, stripe: stack.stripe };
      const first = await seedBook(deps, { subscriptions: 8, plan: 'starter', prefix: 'seeded' });
      expect(first).toEqual({ made: 8, already: 0, active: 8 });
      const subs = await stack.db.orm.em.fork().find(Subscription, { tier: 'starter', status: 'active' });
      expect(subs).toHaveLength(8);
      for (const s of subs) {
        const d = await stack.env.client.workflow.getHandle(workflowIds.subscription(s.id)).describe();
        expect(d.status.name).toBe('RUNNING');
      }
      const again = await seedBook(deps, { subscriptions: 10, plan: 'starter', prefix: 'seeded' });
      expect(again).toEqual({ made: 2, already: 8, active: 10 });
      expect(await stack.db.orm.em.fork().count(Subscription, { tier: 'starter', status: 'active' })).toBe(
        10,
      );

      // Model calls for the month's margins, once however often it runs.
      const usage = await seedUsage(stack.db.orm, { subscriptions: 10, prefix: 'seeded', perSubscriber: 3 });
      expect(usage).toEqual({ accepted: 30, duplicate: 0, rejected: 0 });
      expect(
        await seedUsage(stack.db.orm, { subscriptions: 10, prefix: 'seeded', perSubscriber: 3 }),
      ).toEqual({
        accepted: 0,
        duplicate: 30,
        rejected: 0,
      });
      const admin = await stack.idp.token({
        sub: 'admin-seed',
        email: 'admin-seed@example.com',
        roles: ['admin'],
      });
      const margins = await stack.api.request('GET', '/api/v1/admin/revenue/margins', { token: admin });
      expect(margins.status).toBe(200);
      const tokens = margins.body.models.reduce(
        (s: number, m: { tokens: { input: number } }) => s + m.tokens.input,
        0,
      );
      const expected = Array.from({ length: 10 }, (_, i) =>
        [0, 1, 2].reduce((s, n) => s + seededCall(`seeded-${i + 1}`, n).tokens.input, 0),
      ).reduce((a, b) => a + b, 0);
      expect(tokens).toBe(expected);
      expect(margins.body.totals.cost_cents).toBeGreaterThan(0);
      expect(margins.body.totals.uncosted_units).toBe(0);
      expect(margins.body.customer_count).toBe(10);
    }, 120_000);
  });
});
