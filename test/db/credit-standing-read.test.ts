import { addGrant, addMovement, readCapAndDrawableLedger, readDrawableLedger } from '../../db/credit-ledger';
import { liveSubscriptionOf } from '../../db/live-subscription';
import { readReportStanding } from '../../db/report-standing';
import { unremovedOverrides } from '../../db/entitlement-overrides-in-force';
import { seedSubscriber } from '../usage/seed-subscriber';
import type { Dialect } from '../../db/orm';
import { sqlFor } from '../../db/raw-sql';
import { openTestDatabase } from '../helpers/db';

const NOW = new Date('2026-03-10T10:00:00.000Z');
const HOUR = 3_600_000;

describe.each<Dialect>(['sqlite', 'postgresql'])(
  'a customer’s cap and drawable grants in one read (%s)',
  (dialect) => {
    let db: Awaited<ReturnType<typeof openTestDatabase>>;
    beforeAll(async () => {
      db = await openTestDatabase(dialect);
    });
    afterAll(() => db?.close());

    const sql = () => sqlFor(db.orm.em.fork());
    const settings = (customerId: string, cents: number | null, mode = 'block', max: number | null = null) =>
      sql().run(
        `insert into credit_settings (customer_id, spend_cap_cents, spend_cap_mode, spend_cap_max_cents, updated_at) values (?, ?, ?, ?, ?)`,
        [customerId, cents, mode, max, sql().date(NOW)],
      );
    const grant = (customerId: string, key: string, amount: number, from: number, until: number | null) =>
      addGrant(sql(), {
        customerId,
        amount,
        source: 'admin',
        effectiveAt: new Date(NOW.getTime() + from),
        expiresAt: until === null ? null : new Date(NOW.getTime() + until),
        sourceKey: `${customerId}:${key}`,
      });

    it('answers no cap and no grants for a customer with neither', async () => {
      expect(await readCapAndDrawableLedger(sql(), 'cust_none', NOW)).toEqual({
        cap: null,
        grants: [],
        movements: [],
      });
    });

    it('answers the cap of a settings row without grants, and a row without a cap as such', async () => {
      await settings('cust_cap', 500, 'notify', 900);
      await settings('cust_row', null);
      const read = await readCapAndDrawableLedger(sql(), 'cust_cap', NOW);
      expect(read.grants).toEqual([]);
      expect(read.cap).toEqual({ spendCapCents: 500, spendCapMode: 'notify', spendCapMaxCents: 900 });
      const row = await readCapAndDrawableLedger(sql(), 'cust_row', NOW);
      expect(row.cap).not.toBeNull();
      expect(row.cap).toEqual({ spendCapCents: null, spendCapMode: 'block', spendCapMaxCents: null });
    });

    it('answers the same grants and movements as the drawable ledger alone, with or without a settings row', async () => {
      for (const customerId of ['cust_grants', 'cust_both']) {
        if (customerId === 'cust_both') await settings(customerId, 1000);
        const live = await grant(customerId, 'live', 100, -HOUR, null);
        await grant(customerId, 'later', 50, HOUR, null);
        await grant(customerId, 'expired', 70, -2 * HOUR, -HOUR);
        const voided = await grant(customerId, 'part', 40, -HOUR, 2 * HOUR);
        await addMovement(sql(), {
          customerId,
          grantId: voided.grant.id,
          kind: 'void',
          amount: 15,
          at: NOW,
          sourceKey: `${customerId}:void`,
        });
        const alone = await readDrawableLedger(sql(), customerId, NOW);
        const together = await readCapAndDrawableLedger(sql(), customerId, NOW);
        const byId = <T extends { id: string }>(xs: T[]) => [...xs].sort((a, b) => a.id.localeCompare(b.id));
        expect(byId(together.grants)).toEqual(byId(alone.grants));
        expect(together.movements).toEqual(alone.movements);
        expect(together.grants.map((g) => g.amount).sort()).toEqual([100, 40].sort());
        expect(together.grants.some((g) => g.id === live.grant.id)).toBe(true);
        expect(together.cap === null).toBe(customerId === 'cust_grants');
      }
    });

    it('answers, for a report, the live subscription beside the cap and grants, as the reads apart do', async () => {
      const subscriber = (email: string) =>
        seedSubscriber(db.orm, {
          email,
          plan: 'professional',
          periodStart: new Date(NOW.getTime() - 86_400_000),
        });
      const plain = await subscriber(`plain-${dialect}@example.com`);
      const full = await subscriber(`full-${dialect}@example.com`);
      await settings(full.customer.id, 700);
      await grant(full.customer.id, 'one', 30, -HOUR, null);
      await grant(full.customer.id, 'two', 60, -HOUR, 5 * HOUR);
      const ended = await subscriber(`ended-${dialect}@example.com`);
      await sql().run(`update subscriptions set status = 'canceled' where id = ?`, [ended.subscription.id]);
      const override = (customerId: string, feature: string, removed: boolean) =>
        sql().run(
          `insert into entitlement_overrides (id, customer_id, feature, change, reason, actor, created_at, removed_at)
           values (?, ?, ?, ?, 'test', 'admin@example.com', ?, ?)`,
          [
            `ov_${customerId}_${feature}`,
            customerId,
            feature,
            '{"limit":5}',
            sql().date(NOW),
            removed ? sql().date(NOW) : null,
          ],
        );
      // One in force, and one an admin removed, which no longer counts.
      await override(full.customer.id, 'seats', false);
      await override(plain.customer.id, 'seats', true);
      for (const customerId of [plain.customer.id, full.customer.id, ended.customer.id, 'cust_nobody']) {
        const together = await readReportStanding(db.orm.em.fork(), customerId, NOW, { overrides: true });
        const apart = await readCapAndDrawableLedger(sql(), customerId, NOW);
        expect(together.subscription).toEqual(await liveSubscriptionOf(db.orm.em.fork(), customerId));
        expect(together.cap).toEqual(apart.cap);
        const byId = <T extends { id: string }>(xs: T[]) => [...xs].sort((a, b) => a.id.localeCompare(b.id));
        expect(byId(together.grants)).toEqual(byId(apart.grants));
        expect(together.movements).toEqual(apart.movements);
        expect(together.hasOverrides).toBe(
          (await unremovedOverrides(db.orm.em.fork(), customerId)).length > 0,
        );
      }
      const both = await readReportStanding(db.orm.em.fork(), full.customer.id, NOW, { overrides: true });
      expect(both.subscription?.id).toBe(full.subscription.id);
      expect(both.grants).toHaveLength(2);
      expect(both.cap).not.toBeNull();
      expect(both.hasOverrides).toBe(true);
      expect(
        (await readReportStanding(db.orm.em.fork(), plain.customer.id, NOW, { overrides: true }))
          .hasOverrides,
      ).toBe(false);
      // A report's read does not ask.
      expect(
        (await readReportStanding(db.orm.em.fork(), full.customer.id, NOW, { overrides: false }))
          .hasOverrides,
      ).toBeNull();
      expect(
        (await readReportStanding(db.orm.em.fork(), ended.customer.id, NOW, { overrides: false }))
          .subscription,
      ).toBeNull();
      expect(
        (await readReportStanding(db.orm.em.fork(), plain.customer.id, NOW, { overrides: false }))
          .subscription?.id,
      ).toBe(plain.subscription.id);
    });
  },
);
