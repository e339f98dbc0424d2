import pino from 'pino';
import { createActivities } from '../../activities';
import { addGrant, readLedger } from '../../db/credit-ledger';
import { Customer } from '../../db/entities';
import { newId } from '../../db/ids';
import type { Dialect } from '../../db/orm';
import { sqlFor } from '../../db/raw-sql';
import { fixedClock } from '../../domain/clock';
import { openTestDatabase } from '../helpers/db';

const DAY = 86_400_000;
// Years ahead of the system's time: only a clock that is honoured can make these grants expire.
const AT = new Date('2040-06-01T12:00:00.000Z');

describe.each<Dialect>(['sqlite', 'postgresql'])(
  'activities read business time from the deps clock, on %s',
  (dialect) => {
    let db: Awaited<ReturnType<typeof openTestDatabase>>;
    beforeAll(async () => {
      db = await openTestDatabase(dialect);
    });
    afterAll(() => db.close());

    it('a credit expiry run expires a grant whose expiry is before the clock’s time, not one after it', async () => {
      const em = db.orm.em.fork();
      const customer = em.create(Customer, {
        id: newId('cust'),
        userId: 'kc-clock',
        email: 'clock@example.com',
      });
      await em.flush();
      const sql = sqlFor(db.orm.em.fork());
      const grant = async (key: string, amount: number, expiresAt: Date) =>
        (
          await addGrant(sql, {
            customerId: customer.id,
            amount,
            source: 'promotion',
            effectiveAt: new Date(AT.getTime() - 30 * DAY),
            expiresAt,
            sourceKey: `promotion:${customer.id}:${key}`,
          })
        ).grant;
      const lapsed = await grant('lapsed', 300, new Date(AT.getTime() - DAY));
      const live = await grant('live', 500, new Date(AT.getTime() + DAY));
      const logger = pino({ level: 'silent' });
      const expiries = async () =>
        (await readLedger(sqlFor(db.orm.em.fork()), customer.id)).movements
          .filter((m) => m.kind === 'expiry')
          .map((m) => ({ grantId: m.grantId, amount: m.amount, at: m.at.toISOString() }));

      // The system's clock: both expiries are years away.
      const system = createActivities({ orm: db.orm, logger });
      expect(await system.expireCredits()).toEqual({ expired: 0, grants: 0, more: false });
      expect(await expiries()).toEqual([]);

      // A clock at AT: the grant that lapsed the day before goes, the one due the day after stays.
      const clock = fixedClock(AT);
      const acts = createActivities({ orm: db.orm, logger, clock });
      expect(await acts.expireCredits()).toEqual({ expired: 300, grants: 1, more: false });
      expect(await expiries()).toEqual([
        { grantId: lapsed.id, amount: 300, at: new Date(AT.getTime() - DAY).toISOString() },
      ]);

      // Moved past the second expiry, the same activities expire that grant too, and the first not again.
      clock.set(new Date(AT.getTime() + 2 * DAY));
      expect(await acts.expireCredits()).toEqual({ expired: 500, grants: 1, more: false });
      expect(await expiries()).toEqual(
        expect.arrayContaining([
          { grantId: lapsed.id, amount: 300, at: new Date(AT.getTime() - DAY).toISOString() },
          { grantId: live.id, amount: 500, at: new Date(AT.getTime() + DAY).toISOString() },
        ]),
      );
      expect(await expiries()).toHaveLength(2);
    });
  },
);
