import { wrap } from '@mikro-orm/core';
import { AuditEntry, Plan, PlanMigration, PlanMigrationItem } from '../../db/entities';
import type { Dialect } from '../../db/orm';
import {
  countMigrationCandidates,
  finishMigration,
  migrationCandidates,
  migrationCounts,
  recordMigrationItems,
} from '../../db/plan-migrations';
import type { MigrationItemResult } from '../../domain/plan-migration';
import { bookWriter } from '../helpers/book';
import { openTestDatabase } from '../helpers/db';

const now = new Date('2026-11-28T06:00:00Z');

describe.each<Dialect>(['sqlite', 'postgresql'])('a plan migration’s store on %s', (dialect) => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    db = await openTestDatabase(dialect);
  });
  afterAll(() => db.close());

  /** Professional v2 at $59.00, priced in Stripe, with `n` live subscribers of v1 and one that ended. */
  async function bookOnOldVersion(n: number) {
    const em = db.orm.em.fork();
    const v1 = await em.findOneOrFail(Plan, { code: 'professional', version: 1 });
    if (!(await em.findOne(Plan, { code: 'professional', version: 2 }))) {
      em.create(Plan, {
        ...wrap(v1).toObject(),
        id: 'plan_professional_v2',
        version: 2,
        isCurrent: true,
        priceMonthlyCents: 5900,
        stripePriceMonthlyId: 'price_pro_v2',
        stripeUsagePriceMonthlyId: 'price_pro_usage_v2',
      } as Plan);
      v1.isCurrent = false;
    }
    const book = bookWriter(em);
    const subs = Array.from({ length: n }, () =>
      book.subscription(book.customer(), { amountCents: 4900, status: 'active', createdAt: now }),
    );
    book.subscription(book.customer(), { amountCents: 4900, status: 'canceled', createdAt: now });
    await em.flush();
    return subs.map((s) => s.id).sort();
  }

  it('pages the live subscribers of older versions by id, each with the request that moves it once', async () => {
    const ids = await bookOnOldVersion(5);
    const em = db.orm.em.fork();
    expect(await countMigrationCandidates(em, 'professional', 2)).toBeGreaterThanOrEqual(5);
    const seen: string[] = [];
    let afterId: string | null = null;
    for (;;) {
      const page: Awaited<ReturnType<typeof migrationCandidates>> = await migrationCandidates(em, {
        planCode: 'professional',
        toVersion: 2,
        when: 'period_end',
        afterId,
        limit: 2,
      });
      if (page.candidates.length === 0) break;
      expect(page.candidates.length).toBeLessThanOrEqual(2);
      for (const c of page.candidates) {
        seen.push(c.subscriptionId);
        expect(c).toMatchObject({ fromVersion: 1, newAmountCents: 5900, reason: null });
        expect(c.request).toMatchObject({
          planCode: 'professional',
          priceId: 'price_pro_v2',
          amountCents: 5900,
          when: 'period_end',
          requestId: `migrate:${c.subscriptionId}:v2`,
        });
      }
      afterId = page.lastId;
    }
    expect(seen).toEqual([...seen].sort());
    expect(seen).toEqual(expect.arrayContaining(ids));
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('records a batch once however often it is recorded, and finishes once with one audit entry', async () => {
    const ids = await bookOnOldVersion(3);
    const em = db.orm.em.fork();
    const migration = em.create(PlanMigration, {
      id: `pmig_${dialect}0000000000000`,
      planCode: 'professional',
      toVersion: 2,
      when: 'period_end',
      status: 'running',
      candidates: 3,
      startedById: 'admin-1',
      startedByEmail: 'admin@example.com',
    });
    await em.flush();
    const items: MigrationItemResult[] = ids.map((subscriptionId, i) => ({
      subscriptionId,
      fromVersion: 1,
      outcome: i === 0 ? 'failed' : 'moved',
      result: i === 0 ? null : 'scheduled',
      reason: i === 0 ? 'no' : null,
      amountCents: 4900,
      newAmountCents: 5900,
    }));
    expect(await recordMigrationItems(em, migration.id, items.slice(0, 2), now)).toBe(2);
    // A retried batch, and the next batch overlapping it: only what is new is added.
    expect(await recordMigrationItems(em, migration.id, items.slice(0, 2), now)).toBe(0);
    expect(await recordMigrationItems(em, migration.id, items, now)).toBe(1);
    expect(await em.count(PlanMigrationItem, { migrationId: migration.id })).toBe(3);
    expect(await migrationCounts(em, migration.id)).toEqual({ moved: 2, failed: 1 });

    expect(await finishMigration(db.orm.em.fork(), migration.id, now)).toEqual({ moved: 2, failed: 1 });
    expect(await finishMigration(db.orm.em.fork(), migration.id, new Date(now.getTime() + 1000))).toEqual({
      moved: 2,
      failed: 1,
    });
    const after = db.orm.em.fork();
    expect(await after.findOneOrFail(PlanMigration, migration.id)).toMatchObject({
      status: 'completed',
      finishedAt: now,
    });
    const audit = await after.find(AuditEntry, { action: 'plan.migrate.finish' });
    expect(
      audit.filter((a) => (a.after as { migration_id: string }).migration_id === migration.id),
    ).toHaveLength(1);
  });

  it('keeps a refusal of any length and script, cut to the column by whole characters', async () => {
    const [subscriptionId] = await bookOnOldVersion(1);
    const em = db.orm.em.fork();
    const id = `pmig_${dialect}1111111111111`;
    em.create(PlanMigration, {
      id,
      planCode: 'professional',
      toVersion: 2,
      when: 'now',
      status: 'running',
      candidates: 1,
      startedById: 'admin-1',
    });
    await em.flush();
    // Astral characters (two UTF-16 units each) across the cut, and a control character.
    const reason = `refused\u0007 ${'💳'.repeat(600)}`;
    await recordMigrationItems(
      em,
      id,
      [
        {
          subscriptionId: subscriptionId!,
          fromVersion: 1,
          outcome: 'failed',
          result: null,
          reason,
          amountCents: 4900,
          newAmountCents: null,
        },
      ],
      now,
    );
    const stored = await db.orm.em
      .fork()
      .findOneOrFail(PlanMigrationItem, { migrationId: id, subscriptionId });
    const chars = Array.from(stored.reason!);
    expect(chars).toHaveLength(500);
    expect(stored.reason!.startsWith('refused\u0007 💳')).toBe(true);
    expect(chars.at(-1)).toBe('…');
    expect(chars.slice(-2, -1)).toEqual(['💳']);
  });
});
