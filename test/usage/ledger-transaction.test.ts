import type { MikroORM } from '@mikro-orm/core';
import { DailyUsage, UsageEvent } from '../../db/entities';
import { newId } from '../../db/ids';
import type { LedgerRow, LedgerWrite } from '../../services/usage/ledger-transaction';
import { ledgerWriterFor } from '../../services/usage/ledger-group-commit';
import { usageEventKey } from '../../domain/usage-report';
import { openTestDatabase } from '../helpers/db';
import { seedSubscriber } from './fixtures';
import { addGrant } from '../../db/credit-ledger';
import { sqlFor } from '../../db/raw-sql';

const DAY = 86_400_000;
const CAP = 100; // the trial plan's daily calls

describe.each(['sqlite', 'postgresql'] as const)('the usage ledger group commit (%s)', (dialect) => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    db = await openTestDatabase(dialect);
  });
  afterAll(() => db?.close());

  const now = new Date();
  const today = now.toISOString().slice(0, 10);
  let n = 0;
  async function customer(plan = 'trial'): Promise<string> {
    const { customer } = await seedSubscriber(db.orm, {
      email: `group-${dialect}-${++n}@example.com`,
      plan,
      status: plan === 'trial' ? 'trialing' : 'active',
      periodStart: new Date(Date.now() - DAY),
    });
    return customer.id;
  }
  const row = (customerId: string, eventId: string, quantity: number, index = 0): LedgerRow => ({
    index,
    customerId,
    eventId,
    reporter: 'gateway',
    type: 'inference',
    quantity,
    metadata: '{}',
    occurredAt: now,
    day: today,
    counted: true,
  });
  /** Usage on the customer's own provider key: stored, never counted against anything. */
  const byok = (customerId: string, eventId: string, quantity: number, index = 0): LedgerRow => ({
    ...row(customerId, eventId, quantity, index),
    counted: false,
  });
  const write = (rows: LedgerRow[], cap?: number): LedgerWrite => ({
    rows,
    keys: rows.map(usageEventKey),
    limits: new Map(cap === undefined ? [] : rows.map((r) => [r.customerId, cap])),
    receivedAt: now,
  });
  const writer = () => ledgerWriterFor(db.orm.em);
  /** A grant from an admin, drawable from the period's start, and credit terms with nothing else to draw on. */
  async function prepaidOnly(customerId: string, amount: number, periodStart: Date) {
    const { grant } = await addGrant(sqlFor(db.orm.em.fork()), {
      customerId,
      amount,
      source: 'admin',
      effectiveAt: periodStart,
      expiresAt: null,
      sourceKey: `prepaid-only:${customerId}`,
    });
    const terms = {
      periodStart,
      periodEnd: null,
      included: 0,
      overagePer1kCents: 0,
      cap: null,
      prepaidOnly: true,
    };
    return { grantId: grant.id, credits: new Map([[customerId, terms]]) };
  }
  async function stored(orm: MikroORM, customerId: string) {
    const em = orm.em.fork();
    const events = await em.find(UsageEvent, { customer: customerId }, { orderBy: { eventId: 'asc' } });
    const counters = await em.find(DailyUsage, { customerId });
    return {
      events: events.map((e) => `${e.eventId}:${e.quantity}`),
      counted: counters.reduce((s, c) => s + c.quantity, 0),
    };
  }

  it('commits reports sent together in one transaction and answers each with its own outcome', async () => {
    const [a, b] = [await customer('enterprise'), await customer('enterprise')];
    const before = writer().stats.groups;
    const results = await Promise.all([
      writer().submit(write([row(a, 'e1', 1), row(a, 'e2', 2, 1), byok(a, 'e-byok', 5, 2)])),
      writer().submit(write([row(b, 'e1', 3)])),
      writer().submit(write([row(a, 'e3', 4)])),
    ]);
    expect(writer().stats.groups - before).toBe(1);
    expect(results.map((r) => r.inserted.map((x) => x.eventId))).toEqual([
      ['e1', 'e2', 'e-byok'],
      ['e1'],
      ['e3'],
    ]);
    expect(results.map((r) => Object.fromEntries(r.uncheckedDeltas))).toEqual([
      { [`${a}|${today}`]: 3 },
      { [`${b}|${today}`]: 3 },
      { [`${a}|${today}`]: 4 },
    ]);
    expect(await stored(db.orm, a)).toEqual({ events: ['e-byok:5', 'e1:1', 'e2:2', 'e3:4'], counted: 7 });
    expect(await stored(db.orm, b)).toEqual({ events: ['e1:3'], counted: 3 });
  });

  it('shares one daily cap across the members of a group, in the order they were sent', async () => {
    const c = await customer();
    await writer().submit(write([row(c, 'fill', CAP - 3)], CAP));
    const before = writer().stats.groups;
    // 3 units of room: the first takes 2, the second (2) no longer fits, the third (1) still does,
    // exactly as three transactions one after another would have answered.
    const [first, second, third] = await Promise.all([
      writer().submit(write([row(c, 'a', 2)], CAP)),
      writer().submit(write([row(c, 'b', 2)], CAP)),
      writer().submit(write([row(c, 'c', 1), byok(c, 'c-byok', 50, 1)], CAP)),
    ]);
    expect(writer().stats.groups - before).toBe(1);
    expect([first, second, third].map((r) => [r!.inserted.length, r!.dropped.map((d) => d.eventId)])).toEqual(
      [
        [1, []],
        [1, ['b']],
        [2, []],
      ],
    );
    const key = `${c}|${today}`;
    expect([first, second, third].map((r) => r!.totals.get(key))).toEqual([CAP - 1, CAP - 1, CAP]);
    expect(await stored(db.orm, c)).toEqual({
      events: ['a:2', 'c:1', 'c-byok:50', `fill:${CAP - 3}`],
      counted: CAP,
    });
  });

  it('drops the newest events of a member over the cap and keeps its earlier ones', async () => {
    const c = await customer();
    await writer().submit(write([row(c, 'fill', CAP - 5)], CAP));
    const [other, mine] = await Promise.all([
      writer().submit(write([row(c, 'x', 1)], CAP)),
      writer().submit(write([row(c, 'm0', 2, 0), row(c, 'm1', 1, 1), row(c, 'm2', 3, 2)], CAP)),
    ]);
    expect(other.dropped).toEqual([]);
    // 4 units left after x: m0 and m1 fit (3), m2 (3 more) does not.
    expect(mine.dropped.map((d) => d.eventId)).toEqual(['m2']);
    expect(await stored(db.orm, c)).toEqual({
      events: [`fill:${CAP - 5}`, 'm0:2', 'm1:1', 'x:1'],
      counted: CAP - 1,
    });
  });

  it('stores an event sent by two members of one group once: the second sees the first as a duplicate', async () => {
    const c = await customer('enterprise');
    const before = writer().stats.groups;
    const [first, second, other] = await Promise.all([
      writer().submit(write([row(c, 'same', 2)])),
      writer().submit(write([row(c, 'same', 5), row(c, 'new', 1, 1)])),
      writer().submit(write([row(c, 'other', 1)])),
    ]);
    // The second waits for the next group, so it is answered as its own transaction would have been.
    expect(writer().stats.groups - before).toBe(2);
    expect(first.inserted.map((r) => r.eventId)).toEqual(['same']);
    expect(second.inserted.map((r) => r.eventId)).toEqual(['new']);
    expect(other.inserted.map((r) => r.eventId)).toEqual(['other']);
    expect(await stored(db.orm, c)).toEqual({ events: ['new:1', 'other:1', 'same:2'], counted: 4 });
  });

  it('stores one id from the gateway and from the customer as two events, and neither again on a retry', async () => {
    const c = await customer();
    const self = (r: LedgerRow): LedgerRow => ({ ...r, reporter: 'self' });
    // One write carrying the id in both namespaces, and two reports with it sent at once: the second pair
    // shares one group, since the events differ.
    const both = await writer().submit(write([row(c, 'same', 2), self(row(c, 'same', 3, 1))], CAP));
    expect(both.inserted.map((r) => `${r.reporter}:${r.eventId}`)).toEqual(['gateway:same', 'self:same']);
    const before = writer().stats.groups;
    const [fromGateway, fromSelf] = await Promise.all([
      writer().submit(write([row(c, 'next', 4)], CAP)),
      writer().submit(write([self(row(c, 'next', 5))], CAP)),
    ]);
    expect(writer().stats.groups - before).toBe(1);
    expect([fromGateway.inserted.length, fromSelf.inserted.length]).toEqual([1, 1]);
    expect(fromSelf.totals.get(`${c}|${today}`)).toBe(2 + 3 + 4 + 5);

    const retries = await Promise.all([
      writer().submit(write([row(c, 'same', 2), self(row(c, 'same', 3, 1))], CAP)),
      writer().submit(write([row(c, 'next', 4), self(row(c, 'next', 5, 1))], CAP)),
    ]);
    expect(retries.map((r) => r.inserted.length)).toEqual([0, 0]);
    expect(await stored(db.orm, c)).toEqual({
      events: ['next:4', 'next:5', 'same:2', 'same:3'],
      counted: 14,
    });
  });

  it("takes back out only the namespace over the cap: the other reporter's event with that id stays", async () => {
    const c = await customer();
    await writer().submit(write([row(c, 'fill', CAP - 3)], CAP));
    const self = (r: LedgerRow): LedgerRow => ({ ...r, reporter: 'self' });
    // 3 units of room: the customer's 'x' (2) fits, the gateway's 'x' after it (2) does not.
    const result = await writer().submit(write([self(row(c, 'x', 2)), row(c, 'x', 2, 1)], CAP));
    expect(result.dropped.map((r) => `${r.reporter}:${r.eventId}`)).toEqual(['gateway:x']);
    const events = await db.orm.em.fork().find(UsageEvent, { customer: c, eventId: 'x' });
    expect(events.map((e) => `${e.reporter}:${e.quantity}`)).toEqual(['self:2']);
    expect((await stored(db.orm, c)).counted).toBe(CAP - 1);
  });

  it('lets a second copy of an event in when the first copy did not fit under the cap', async () => {
    const c = await customer();
    await writer().submit(write([row(c, 'fill', CAP - 2)], CAP));
    const [big, small] = await Promise.all([
      writer().submit(write([row(c, 'e', 5)], CAP)),
      writer().submit(write([row(c, 'e', 2)], CAP)),
    ]);
    expect(big.dropped.map((r) => r.eventId)).toEqual(['e']);
    expect([small.inserted.length, small.dropped.length]).toEqual([1, 0]);
    expect(await stored(db.orm, c)).toEqual({ events: ['e:2', `fill:${CAP - 2}`], counted: CAP });
  });

  it('pays and stamps every event of a 1,000-event report a grant pays, and takes out every one it refuses, in one transaction', async () => {
    const c = await customer('enterprise');
    const sql = sqlFor(db.orm.em.fork());
    const periodStart = new Date(Date.now() - DAY);
    const { credits } = await prepaidOnly(c, 450, periodStart);
    // Prepaid only: past the grant every event is refused. 450 stamps and 550 deletions each take more
    // than one statement, and every one of them must be inside the transaction.
    const rows = Array.from({ length: 1000 }, (_, i) => row(c, `big-${i}`, 1, i));
    const result = await writer().submit({ ...write(rows), credits });
    expect({ inserted: result.inserted.length, refused: result.refused.length }).toEqual({
      inserted: 1000,
      refused: 550,
    });
    const [events] = await sql.run<{ n: unknown; prepaid: unknown }>(
      'select count(*) as n, sum(prepaid) as prepaid from usage_events where customer_id = ?',
      [c],
    );
    const [draws] = await sql.run<{ n: unknown }>(
      "select sum(amount) as n from credit_movements where customer_id = ? and kind = 'draw'",
      [c],
    );
    expect({ events: Number(events?.n), prepaid: Number(events?.prepaid), drawn: Number(draws?.n) }).toEqual({
      events: 450,
      prepaid: 450,
      drawn: 450,
    });
    expect((await stored(db.orm, c)).counted).toBe(450);
  });

  it("records each customer's draws of a group on its own grant and billing period, in one statement", async () => {
    const sql = sqlFor(db.orm.em.fork());
    const members = [];
    for (const [i, days] of [1, 2, 3].entries()) {
      const c = await customer('enterprise');
      const periodStart = new Date(Date.now() - days * DAY);
      members.push({ c, periodStart, units: 10 * (i + 1), ...(await prepaidOnly(c, 100, periodStart)) });
    }
    const before = writer().stats.groups;
    await Promise.all(
      members.map((m) => writer().submit({ ...write([row(m.c, 'draw', m.units)]), credits: m.credits })),
    );
    expect(writer().stats.groups - before).toBe(1);
    for (const m of members) {
      const draws = await sql.run<{ grant_id: string; period_start: unknown; amount: unknown }>(
        "select grant_id, period_start, amount from credit_movements where customer_id = ? and kind = 'draw'",
        [m.c],
      );
      expect(
        draws.map((d) => ({
          grant: d.grant_id,
          period: new Date(d.period_start as string).getTime(),
          amount: Number(d.amount),
        })),
      ).toEqual([{ grant: m.grantId, period: m.periodStart.getTime(), amount: m.units }]);
    }
  });

  it('fails only the member whose write the database refuses; the others of its group are stored', async () => {
    const c = await customer('enterprise');
    const before = { ...writer().stats };
    const outcomes = await Promise.allSettled([
      writer().submit(write([row(c, 'ok-1', 1)])),
      // No such customer: the foreign key refuses the row, and with it the group's transaction.
      writer().submit(write([row(newId('cust'), 'ghost', 1)])),
      writer().submit(write([row(c, 'ok-2', 1)])),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(writer().stats.splitGroups - before.splitGroups).toBe(1);
    expect(await stored(db.orm, c)).toEqual({ events: ['ok-1:1', 'ok-2:1'], counted: 2 });
  });
});
