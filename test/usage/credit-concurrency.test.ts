import type { MikroORM } from '@mikro-orm/core';
import { addGrant, readLedger } from '../../db/credit-ledger';
import { openDatabase, type Dialect } from '../../db/orm';
import { sqlFor } from '../../db/raw-sql';
import { creditBalance } from '../../domain/credit-ledger';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { openTestDatabase } from '../helpers/db';
import { controlClock, seedCreditPlans, seedSubscriber, startUsageApi, type UsageApi } from './fixtures';

const DAY = 86_400_000;
const T0 = Date.parse('2026-03-10T10:00:00.000Z');
const REPORTERS = 32;
const REPORTS_EACH = 6;
const REPORT = '/api/v1/billing/report_usage';

/** Quantities that differ by reporter and report, so no two interleavings look alike. */
const quantitiesOf = (reporter: number, report: number) =>
  Array.from({ length: 1 + ((reporter + report) % 4) }, (_, i) => 1 + ((reporter * 7 + report * 3 + i) % 23));

describe.each<Dialect>(['postgresql', 'sqlite'])(
  '32 concurrent reporters through two API processes near a limit (%s)',
  (dialect) => {
    let db: Awaited<ReturnType<typeof openTestDatabase>>;
    /** The same database through a pool of its own, as a second API process has. */
    let otherOrm: MikroORM;
    let idp: TestIdp;
    let apis: UsageApi[];

    beforeAll(async () => {
      [db, idp] = await Promise.all([openTestDatabase(dialect), startTestIdp()]);
      otherOrm = await openDatabase(db.url, { migrate: false });
      apis = [await startUsageApi(db.orm, idp), await startUsageApi(otherOrm, idp)];
      controlClock(db.orm, T0);
      controlClock(otherOrm, T0);
      await seedCreditPlans(db.orm, 'race', 50);
    });
    afterAll(async () => {
      await Promise.all(apis?.map((a) => a.stop()) ?? []);
      await otherOrm?.close();
      await Promise.all([db?.close(), idp?.stop()]);
    });

    /** Every reporter sends its reports one after another, all reporters at once, alternating processes. */
    async function race(email: string, sub: string, reporters = REPORTERS) {
      const gateway = await idp.token({
        sub: 'svc-gateway',
        email: 'gw@example.com',
        roles: ['billing-gateway'],
      });
      const self = await idp.token({ sub, email });
      let accepted = 0;
      let acceptedUnits = 0;
      await Promise.all(
        Array.from({ length: reporters }, async (_, r) => {
          for (let k = 0; k < REPORTS_EACH; k++) {
            const quantities = quantitiesOf(r, k);
            const events = quantities.map((quantity, i) => ({
              id: `r${r}-k${k}-${i}`,
              type: 'inference',
              quantity,
            }));
            const res = await (apis[(r + k) % 2] as UsageApi).request('POST', REPORT, {
              token: r % 2 ? gateway : self,
              body: r % 2 ? { customer_email: email, events } : { events },
            });
            expect([200, 429]).toContain(res.status);
            const outcome = res.status === 200 ? res.body : res.body.error.details;
            const refused = new Set((outcome.rejected_events as { index: number }[]).map((e) => e.index));
            accepted += outcome.accepted;
            acceptedUnits += quantities.reduce((n, q, i) => n + (refused.has(i) ? 0 : q), 0);
          }
        }),
      );
      return { accepted, acceptedUnits };
    }

    async function stored(customerId: string) {
      const sql = sqlFor(db.orm.em.fork());
      const [row] = await sql.run<{ n: unknown; units: unknown; prepaid: unknown }>(
        'select count(*) as n, sum(quantity) as units, sum(prepaid) as prepaid from usage_events where customer_id = ?',
        [customerId],
      );
      const ledger = await readLedger(sql, customerId);
      return {
        events: Number(row?.n ?? 0),
        units: Number(row?.units ?? 0),
        prepaid: Number(row?.prepaid ?? 0),
        balance: creditBalance(ledger.grants, ledger.movements, new Date(T0)),
        drawn: ledger.movements.filter((m) => m.kind === 'draw').reduce((n, m) => n + m.amount, 0),
      };
    }

    it('a prepaid-only customer: only included and prepaid credits pay, each unit once, and the balance never goes below zero', async () => {
      const email = `race-prepaid-${dialect}@example.com`;
      const { customer, sub } = await seedSubscriber(db.orm, {
        email,
        plan: 'race-prepaid',
        periodStart: new Date(T0 - 5 * DAY),
      });
      await addGrant(sqlFor(db.orm.em.fork()), {
        customerId: customer.id,
        amount: 700,
        source: 'admin',
        effectiveAt: new Date(T0 - DAY),
        expiresAt: null,
        sourceKey: `admin:race:${dialect}`,
      });
      const { accepted, acceptedUnits } = await race(email, sub);
      const after = await stored(customer.id);
      // Far more is asked than 50 included and 700 prepaid credits pay for; what the answers accepted is
      // what is stored, and every unit beyond the included ones was drawn from the grant, once.
      expect(after).toMatchObject({ events: accepted, units: acceptedUnits, prepaid: after.drawn });
      expect(after.units).toBe(50 + after.drawn);
      expect(after.balance).toBe(700 - after.drawn);
      expect(after.balance).toBeGreaterThanOrEqual(0);
      // Refusal is per event: a few credits may stay unused when no waiting event fits them.
      expect(after.balance).toBeLessThan(23);
    });

    it('a blocking spend cap: the overage billed never passes it, whatever the interleaving', async () => {
      const email = `race-cap-${dialect}@example.com`;
      const { customer, sub } = await seedSubscriber(db.orm, {
        email,
        plan: 'race-overage',
        periodStart: new Date(T0 - 5 * DAY),
      });
      const sql = sqlFor(db.orm.em.fork());
      // 150¢ per thousand beyond 50 included: a 30¢ cap allows at most 200 units of overage (exactly 30¢).
      await sql.run(
        `insert into credit_settings (customer_id, spend_cap_cents, spend_cap_mode, updated_at) values (?, 30, 'block', ?)`,
        [customer.id, sql.date(new Date())],
      );
      const { accepted, acceptedUnits } = await race(email, sub);
      const after = await stored(customer.id);
      expect(after).toMatchObject({ events: accepted, units: acceptedUnits, prepaid: 0 });
      const overage = after.units - 50;
      expect(overage * 150).toBeLessThanOrEqual(30 * 1000);
      // Refusal is per event: the last few units under the cap may stay unused when no event fits them.
      expect(overage).toBeGreaterThan(200 - 23);
    });

    it('several customers at once: each one’s credits and cap hold for its own usage only, each unit drawn once', async () => {
      // Reports of different customers share a commit, and each customer's account is read with the others'.
      const sql = sqlFor(db.orm.em.fork());
      const prepaid = await Promise.all(
        [700, 300].map(async (amount, i) => {
          const email = `race-many-${i}-${dialect}@example.com`;
          const made = await seedSubscriber(db.orm, {
            email,
            plan: 'race-prepaid',
            periodStart: new Date(T0 - 5 * DAY),
          });
          await addGrant(sql, {
            customerId: made.customer.id,
            amount,
            source: 'admin',
            effectiveAt: new Date(T0 - DAY),
            expiresAt: null,
            sourceKey: `admin:race-many-${i}:${dialect}`,
          });
          return { email, amount, ...made };
        }),
      );
      const cappedEmail = `race-many-cap-${dialect}@example.com`;
      const capped = await seedSubscriber(db.orm, {
        email: cappedEmail,
        plan: 'race-overage',
        periodStart: new Date(T0 - 5 * DAY),
      });
      await sql.run(
        `insert into credit_settings (customer_id, spend_cap_cents, spend_cap_mode, updated_at) values (?, 30, 'block', ?)`,
        [capped.customer.id, sql.date(new Date())],
      );
      const [results, cappedResult] = await Promise.all([
        // Ten reporters each, 30 in flight: within each process's ceiling of reports in flight.
        Promise.all(prepaid.map((c) => race(c.email, c.sub, 10))),
        race(cappedEmail, capped.sub, 10),
      ]);
      for (const [i, c] of prepaid.entries()) {
        const after = await stored(c.customer.id);
        const { accepted, acceptedUnits } = results[i] as { accepted: number; acceptedUnits: number };
        expect(after).toMatchObject({ events: accepted, units: acceptedUnits, prepaid: after.drawn });
        expect(after.units).toBe(50 + after.drawn);
        expect(after.balance).toBe(c.amount - after.drawn);
        expect(after.balance).toBeGreaterThanOrEqual(0);
        expect(after.balance).toBeLessThan(23);
      }
      const after = await stored(capped.customer.id);
      expect(after).toMatchObject({
        events: cappedResult.accepted,
        units: cappedResult.acceptedUnits,
        prepaid: 0,
      });
      expect((after.units - 50) * 150).toBeLessThanOrEqual(30 * 1000);
      expect(after.units - 50).toBeGreaterThan(200 - 23);
    });
  },
);
