import { addMovement, lockCredits } from '../../db/credit-ledger';
import { autoTopUpCustomers, dueTopUpCrossing } from '../../db/credit-top-up-due';
import { Notification } from '../../db/entities';
import { expiredGrantsWithCredits, grantLeft } from '../../db/credit-grants';
import { readDate, sqlFor } from '../../db/raw-sql';
import { ALERT_NOTIFICATION_KIND } from '../../domain/credit-alerts';
import { clockOf } from '../../domain/clock';
import type { ActivityDeps } from '../deps';
import { messageFor, transportFor } from '../notify/email';

/** The mails the API queues (alerts after a report) and no workflow sends. */
const API_QUEUED_KINDS = Object.values(ALERT_NOTIFICATION_KIND);

/** What the credit housekeeping loop does each cycle: expiries, the API's alert mails, forgotten top-ups. */
export function createCreditHousekeepingActivities(deps: ActivityDeps) {
  const clock = clockOf(deps);
  /**
   * Writes an expiry movement for what is left of each grant past its expiry, oldest first, under the
   * customer's credit lock, once per grant (`expiry:<grant>`): the ledger then explains why the credits
   * left the balance (which already left expired grants out).
   */
  async function expireCredits(
    req: { limit?: number } = {},
  ): Promise<{ expired: number; grants: number; more: boolean }> {
    const limit = req.limit ?? 200;
    const now = clock.now();
    const sql = sqlFor(deps.orm.em.fork());
    const due = await expiredGrantsWithCredits(sql, now, limit);
    let expired = 0;
    for (const g of due) {
      expired += await deps.orm.em.fork().transactional(async (tem) => {
        const tsql = sqlFor(tem);
        await lockCredits(tsql, g.customer_id);
        const amount = await grantLeft(tsql, g.id);
        if (amount <= 0) return 0;
        const added = await addMovement(tsql, {
          customerId: g.customer_id,
          grantId: g.id,
          kind: 'expiry',
          amount,
          at: readDate(g.expires_at),
          sourceKey: `expiry:${g.id}`,
          reason: 'Expired',
        });
        return added ? amount : 0;
      });
    }
    return { expired, grants: due.length, more: due.length === limit };
  }

  /**
   * Sends the alert mails the API queued, oldest first. One housekeeping loop runs at a time, so a row is
   * sent by one sender; a failed send keeps its error and is tried next cycle. Without SMTP the rows stay
   * in the outbox for another sender.
   */
  async function sendQueuedAlertMails(
    req: { limit?: number } = {},
  ): Promise<{ sent: number; failed: number }> {
    const mail = deps.mail;
    if (!mail) return { sent: 0, failed: 0 };
    const em = deps.orm.em.fork();
    const rows = await em.find(
      Notification,
      { sentAt: null, kind: { $in: API_QUEUED_KINDS } },
      { orderBy: { createdAt: 'asc', id: 'asc' }, limit: req.limit ?? 100 },
    );
    let sent = 0;
    let failed = 0;
    for (const row of rows) {
      try {
        await transportFor(mail.url).sendMail(messageFor(row, mail.from));
        row.sentAt = clock.now();
        row.error = null;
        sent++;
      } catch (err) {
        row.error = (err as Error).message.slice(0, 500);
        failed++;
      }
      await em.flush();
    }
    return { sent, failed };
  }

  /**
   * Customers whose automatic top-up is due now, a page at a time: a crossing nobody reported after (the
   * API died between the report and starting the top-up) is found here. Each comes with the crossing's
   * key, the same one the API names it by.
   */
  async function dueTopUps(req: { after?: string; limit?: number } = {}): Promise<{
    crossings: { customerId: string; crossingKey: string }[];
    next: string | null;
  }> {
    const limit = req.limit ?? 200;
    const em = deps.orm.em.fork();
    const customers = await autoTopUpCustomers(em, req.after ?? '', limit);
    const now = clock.now();
    const crossings: { customerId: string; crossingKey: string }[] = [];
    for (const customerId of customers) {
      const crossingKey = await dueTopUpCrossing(em.fork(), customerId, now);
      if (crossingKey) crossings.push({ customerId, crossingKey });
    }
    return { crossings, next: customers.length === limit ? (customers.at(-1) ?? null) : null };
  }

  return { expireCredits, sendQueuedAlertMails, dueTopUps };
}
