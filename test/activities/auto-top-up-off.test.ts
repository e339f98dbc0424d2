import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import { createLogger } from '../../config/logger';
import { CreditSettings, Customer } from '../../db/entities';
import { newId } from '../../db/ids';
import type { Dialect } from '../../db/orm';
import { topUpCrossingKey } from '../../domain/credit-purchase';
import { openTestDatabase } from '../helpers/db';

describe.each<Dialect>(['sqlite', 'postgresql'])(
  'turning auto top-up off after a second decline on %s',
  (dialect) => {
    let db: Awaited<ReturnType<typeof openTestDatabase>>;
    beforeAll(async () => {
      db = await openTestDatabase(dialect);
    });
    afterAll(() => db?.close());

    /** A customer with auto top-up on, chosen at `chosenAt`, and the crossing a top-up was declined for. */
    async function customerWithAutoTopUp(chosenAt: Date) {
      const em = db.orm.em.fork();
      const customerId = newId('cust');
      em.create(Customer, { id: customerId, userId: `kc-${customerId}`, email: `${customerId}@example.com` });
      em.create(CreditSettings, {
        customerId,
        autoTopUpEnabled: true,
        autoTopUpThreshold: 100,
        autoTopUpPackId: 'cpk_small',
        updatedAt: chosenAt,
      });
      await em.flush();
      return { customerId, crossingKey: topUpCrossingKey(customerId, null, chosenAt) };
    }

    const settingsOf = (customerId: string) => db.orm.em.fork().findOneOrFail(CreditSettings, { customerId });

    function disable(req: { customerId: string; crossingKey: string }) {
      const acts = createActivities({ orm: db.orm, logger: createLogger('silent', 'test') });
      return new MockActivityEnvironment().run(acts.disableAutoTopUp, {
        ...req,
        reason: 'the card was declined',
      });
    }

    it('turns it off and tells the customer once, a retry changing nothing', async () => {
      const c = await customerWithAutoTopUp(new Date('2026-11-20T09:00:00.250Z'));
      const off = await disable(c);
      expect(off).toMatchObject({
        disabled: true,
        notice: { kind: 'auto_top_up_disabled', dedupeKey: `auto_top_up_disabled:${c.crossingKey}` },
      });
      expect(await settingsOf(c.customerId)).toMatchObject({
        autoTopUpEnabled: false,
        autoTopUpNote: 'Automatic top-up was turned off: the card was declined',
      });
      expect(await disable(c)).toMatchObject({ disabled: true });
      expect((await settingsOf(c.customerId)).autoTopUpEnabled).toBe(false);
    });

    it('leaves it on when the customer chose again after the declined crossing', async () => {
      const c = await customerWithAutoTopUp(new Date('2026-11-20T09:00:00.250Z'));
      // The customer saves a new pack (or card) before the workflow turns the old choice off.
      const em = db.orm.em.fork();
      const settings = await em.findOneOrFail(CreditSettings, { customerId: c.customerId });
      settings.autoTopUpPackId = 'cpk_large';
      settings.updatedAt = new Date('2026-11-20T09:00:07.000Z');
      await em.flush();

      expect(await disable(c)).toEqual({ disabled: false, notice: null });
      expect(await settingsOf(c.customerId)).toMatchObject({
        autoTopUpEnabled: true,
        autoTopUpPackId: 'cpk_large',
        autoTopUpNote: null,
      });
    });
  },
);
