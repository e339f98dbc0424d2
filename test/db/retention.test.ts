import type { EntityManager } from '@mikro-orm/core';
import { BillingEvent, CreditTopUp, Notification, WebhookAttempt, WebhookDelivery } from '../../db/entities';
import { newId } from '../../db/ids';
import type { Dialect } from '../../db/orm';
import { sqlFor } from '../../db/raw-sql';
import { pruneBefore } from '../../db/retention';
import { RETAINED_KINDS, retentionCutoff } from '../../domain/retention';
import { openTestDatabase } from '../helpers/db';

const DAY = 86_400_000;
const now = new Date();
const old = new Date(now.getTime() - 200 * DAY);
const recent = new Date(now.getTime() - 10 * DAY);
const cutoff = retentionCutoff(now, 180);

describe('retention cutoff', () => {
  it.each([
    [180, 180 * DAY],
    [1, DAY],
  ])('keeps %i days', (days, ms) => {
    expect(now.getTime() - retentionCutoff(now, days).getTime()).toBe(ms);
  });
  it.each([0, -1, 1.5, Number.NaN])('refuses a window of %p days', (days) => {
    expect(() => retentionCutoff(now, days)).toThrow(RangeError);
  });
});

/**
 * Housekeeping deletes the records that only explain the past once they are older than the window and
 * finished, and never one still at work: a delivery being tried, an event still to deliver, a top-up at
 * Stripe.
 */
describe.each<Dialect>(['sqlite', 'postgresql'])('pruning finished records on %s', (dialect) => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    db = await openTestDatabase(dialect);
  });
  afterAll(() => db?.close());

  async function ids(em: EntityManager, table: string, customerOrEndpoint: string): Promise<string[]> {
    const column = table.startsWith('webhook_') ? 'endpoint_id' : 'customer_id';
    const rows = await sqlFor(em).run<{ id: string }>(
      `select id from ${table} where ${column} = ? order by id`,
      [customerOrEndpoint],
    );
    return rows.map((r) => r.id);
  }

  async function seed(tag: string) {
    const em = db.orm.em.fork();
    const customerId = newId('cust');
    const endpointId = newId('whe');
    const event = (name: string, createdAt: Date, publishedAt: Date | null) =>
      em.create(BillingEvent, {
        id: `evt_${tag}_${name}`,
        customerId,
        type: 'credits.low',
        payload: {},
        dedupeKey: `${tag}:${name}`,
        createdAt,
        publishedAt,
      });
    const delivery = (
      name: string,
      eventId: string,
      createdAt: Date,
      status: 'pending' | 'succeeded' | 'failed',
    ) =>
      em.create(WebhookDelivery, {
        id: `whd_${tag}_${name}`,
        eventId,
        endpointId,
        queueKey: customerId,
        eventType: 'credits.low',
        eventCreatedAt: createdAt,
        status,
        createdAt,
      });
    const attempt = (name: string, deliveryId: string, at: Date) =>
      em.create(WebhookAttempt, {
        id: `wha_${tag}_${name}`,
        deliveryId,
        endpointId,
        at,
        ok: false,
        statusCode: 500,
        latencyMs: 12,
      });
    const mail = (name: string, createdAt: Date, sentAt: Date | null) =>
      em.create(Notification, {
        id: `ntf_${tag}_${name}`,
        customerId,
        email: 'someone@example.com',
        kind: 'credits_low',
        dedupeKey: `${tag}:${name}`,
        payload: {},
        createdAt,
        sentAt,
      });
    const topUp = (name: string, updatedAt: Date, status: 'pending' | 'succeeded' | 'declined') =>
      em.create(CreditTopUp, {
        id: `ctu_${tag}_${name}`,
        customerId,
        crossingKey: `${tag}:${name}`,
        packId: 'pack_1',
        threshold: 100,
        balanceAtCrossing: 0,
        status,
        attempts: 1,
        createdAt: updatedAt,
        updatedAt,
      });

    event('old_done', old, old);
    event('old_given_up', old, old);
    event('old_unpublished', old, null);
    event('old_still_delivering', old, old);
    event('recent', recent, recent);
    delivery('old_done', `evt_${tag}_old_done`, old, 'succeeded');
    delivery('old_given_up', `evt_${tag}_old_given_up`, old, 'failed');
    delivery('old_pending', `evt_${tag}_old_still_delivering`, old, 'pending');
    delivery('recent', `evt_${tag}_recent`, recent, 'succeeded');
    attempt('of_done', `whd_${tag}_old_done`, old);
    attempt('of_pending', `whd_${tag}_old_pending`, old);
    attempt('of_recent', `whd_${tag}_recent`, recent);
    mail('old_sent', old, old);
    mail('old_never_sent', old, null);
    mail('recent', recent, null);
    topUp('old_charged', old, 'succeeded');
    topUp('old_declined', old, 'declined');
    topUp('old_at_stripe', old, 'pending');
    topUp('recent', recent, 'succeeded');
    await em.flush();
    // A subject's counters: days and periods. A period that began over a year before the cutoff (600 days
    // ago) has ended, and goes; one that began 200 days ago may be a yearly one still running.
    const day = (d: Date) => `d:${d.toISOString().slice(0, 10)}`;
    const period = (d: Date) => `p:${d.toISOString()}`;
    for (const key of [
      day(old),
      day(recent),
      period(new Date(now.getTime() - 600 * DAY)),
      period(old),
      period(recent),
    ])
      await sqlFor(em).run(
        'insert into subject_usage (customer_id, subject, window_key, units) values (?, ?, ?, ?)',
        [customerId, 'team-a', key, 5],
      );
    return { customerId, endpointId };
  }

  it('deletes what is old and finished, and keeps what is recent or still at work', async () => {
    const { customerId, endpointId } = await seed(`a${dialect}`);
    const t = `a${dialect}`;
    let pruned = 0;
    for (const kind of RETAINED_KINDS) pruned += await pruneBefore(db.orm.em, kind, cutoff, 100);
    const em = db.orm.em.fork();
    expect({
      attempts: await ids(em, 'webhook_attempts', endpointId),
      deliveries: await ids(em, 'webhook_deliveries', endpointId),
      events: await ids(em, 'billing_events', customerId),
      mails: await ids(em, 'notifications', customerId),
      topUps: await ids(em, 'credit_top_ups', customerId),
      subjectWindows: (
        await sqlFor(em).run<{ window_key: string }>(
          'select window_key from subject_usage where customer_id = ? order by window_key',
          [customerId],
        )
      ).map((r) => r.window_key),
    }).toEqual({
      attempts: [`wha_${t}_of_pending`, `wha_${t}_of_recent`],
      deliveries: [`whd_${t}_old_pending`, `whd_${t}_recent`],
      events: [`evt_${t}_old_still_delivering`, `evt_${t}_old_unpublished`, `evt_${t}_recent`],
      mails: [`ntf_${t}_recent`],
      topUps: [`ctu_${t}_old_at_stripe`, `ctu_${t}_recent`],
      subjectWindows: [
        `d:${recent.toISOString().slice(0, 10)}`,
        `p:${old.toISOString()}`,
        `p:${recent.toISOString()}`,
      ],
    });
    expect(pruned).toBe(1 + 2 + 2 + 2 + 2 + 2);
    // A second pass finds nothing more.
    let again = 0;
    for (const kind of RETAINED_KINDS) again += await pruneBefore(db.orm.em, kind, cutoff, 100);
    expect(again).toBe(0);
  });

  it('refuses a kind it has no rule for, naming no table of the caller’s', async () => {
    for (const kind of ['credit_grants', 'charges; drop table charges', '__proto__', 'toString'])
      await expect(pruneBefore(db.orm.em, kind as never, cutoff, 10)).rejects.toThrow(RangeError);
  });

  it('deletes at most a batch at a time', async () => {
    const { customerId } = await seed(`b${dialect}`);
    const em = db.orm.em.fork();
    const before = (await ids(em, 'notifications', customerId)).length;
    expect(await pruneBefore(db.orm.em, 'notifications', cutoff, 1)).toBe(1);
    expect((await ids(db.orm.em.fork(), 'notifications', customerId)).length).toBe(before - 1);
  });
});
