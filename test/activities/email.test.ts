import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import { createLogger } from '../../config/logger';
import { Notification } from '../../db/entities';
import { openTestDatabase } from '../helpers/db';
import { startSmtp } from '../helpers/smtp';

describe('notification mail', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  beforeAll(async () => {
    [db, smtp] = await Promise.all([openTestDatabase('sqlite'), startSmtp()]);
  });
  afterAll(async () => {
    await smtp.stop();
    await db.close();
  });

  const activities = () =>
    createActivities({
      orm: db.orm,
      logger: createLogger('silent', 'test'),
      mail: { url: smtp.url, from: 'billing@example.com' },
    });
  const failure = (n: number) => ({
    customerId: 'cust_mail',
    email: 'pay@example.com',
    kind: 'payment_failed',
    dedupeKey: `payment_failed:in_mail:${n}`,
    payload: { hostedInvoiceUrl: 'https://pay.example/in_mail', attempt: 0 },
  });

  it('sends a queued notification once, with the link to pay, however often the activity runs', async () => {
    const env = new MockActivityEnvironment();
    const first = await env.run(activities().queueNotification, failure(1));
    const retried = await env.run(activities().queueNotification, failure(1));
    expect(first).toEqual({ queued: true, sent: true });
    expect(retried).toEqual({ queued: false, sent: false });
    const mine = smtp.received.filter((m) => m.data.includes('in_mail'));
    expect(mine).toHaveLength(1);
    expect(mine[0]?.to).toEqual(['pay@example.com']);
    expect(mine[0]?.data).toContain('Subject: Your payment did not go through');
    expect(mine[0]?.data).toContain('https://pay.example/in_mail');
    const row = await db.orm.em.fork().findOneOrFail(Notification, { dedupeKey: 'payment_failed:in_mail:1' });
    expect(row.sentAt).toBeInstanceOf(Date);
  });

  it('keeps the notification and fails the activity while the mail server refuses, then sends it on retry', async () => {
    const env = new MockActivityEnvironment();
    smtp.refuse = true;
    await expect(env.run(activities().queueNotification, failure(2))).rejects.toThrow(/mailbox unavailable/);
    const kept = await db.orm.em
      .fork()
      .findOneOrFail(Notification, { dedupeKey: 'payment_failed:in_mail:2' });
    expect(kept.sentAt ?? null).toBeNull();
    expect(kept.error).toMatch(/mailbox unavailable/);
    smtp.refuse = false;
    expect(await env.run(activities().queueNotification, failure(2))).toEqual({ queued: false, sent: true });
    expect(await db.orm.em.fork().count(Notification, { dedupeKey: 'payment_failed:in_mail:2' })).toBe(1);
  });
});
