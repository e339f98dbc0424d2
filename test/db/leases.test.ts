import { acquireLease, releaseLease } from '../../db/leases';
import type { Dialect } from '../../db/orm';
import { openTestDatabase } from '../helpers/db';

describe.each<Dialect>(['sqlite', 'postgresql'])('leases on %s', (dialect) => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    db = await openTestDatabase(dialect);
  });
  afterAll(() => db?.close());

  const take = (name: string, holder: string, ttlMs = 60_000, waitMs = 0) =>
    acquireLease(db.orm.em.fork(), name, holder, { ttlMs, waitMs, everyMs: 10 });

  it('goes to one of many holders asking at once, back to the same holder, and to another once released', async () => {
    const got = await Promise.all(['a', 'b', 'c', 'd'].map((h) => take('invoice-1', h)));
    expect(got.filter(Boolean)).toHaveLength(1);
    const holder = ['a', 'b', 'c', 'd'][got.indexOf(true)] as string;
    expect(await take('invoice-1', holder)).toBe(true);
    const other = holder === 'a' ? 'b' : 'a';
    expect(await take('invoice-1', other)).toBe(false);
    expect(await take('invoice-2', other)).toBe(true);
    // Only its holder gives it back.
    await releaseLease(db.orm.em.fork(), 'invoice-1', other);
    expect(await take('invoice-1', other)).toBe(false);
    await releaseLease(db.orm.em.fork(), 'invoice-1', holder);
    expect(await take('invoice-1', other)).toBe(true);
  });

  it('waits for a holder that gives it back, and lapses when its holder never does', async () => {
    expect(await take('invoice-3', 'slow')).toBe(true);
    const waiting = take('invoice-3', 'patient', 60_000, 5_000);
    await releaseLease(db.orm.em.fork(), 'invoice-3', 'slow');
    expect(await waiting).toBe(true);

    expect(await take('invoice-4', 'dead', 1)).toBe(true);
    expect(await take('invoice-4', 'next', 60_000, 2_000)).toBe(true);
    expect(await take('invoice-4', 'dead')).toBe(false);
  });
});
