import { num, readDate, sqlList, type Sql } from './raw-sql';

/** The renewal run an operator watches unless they ask for another: boundaries of the last 24 hours. */
export const DEFAULT_RENEWAL_WINDOW_MS = 24 * 3_600_000;

/**
 * The longest window asked for. A sign-up is told from a renewal by the subscription existing before the
 * window opened (see renewalCounts), which holds while the window is shorter than the shortest period (a
 * month); a week also keeps the scan to the billing days an operator is watching.
 */
export const MAX_RENEWAL_WINDOW_MS = 7 * 24 * 3_600_000;

/** Renewals whose period boundary fell in `(since, until]`. */
export interface RenewalWindow {
  since: Date;
  until: Date;
}

/** Each due renewal is paid, failed or waiting (the three add up to due); invoiced overlaps them. */
export interface RenewalCounts {
  due: number;
  invoiced: number;
  paid: number;
  failed: number;
  waiting: number;
}

// Stripe keeps renewing these; paused and incomplete subscriptions are not charged at a boundary.
const RENEWING = sqlList(['trialing', 'active', 'past_due', 'suspended']);
const NOT_RENEWED = sqlList(['incomplete', 'paused']);
// The subscription is behind on a payment: its renewal has failed, even before its invoice is mirrored.
const DUNNING = sqlList(['past_due', 'suspended']);

/**
 * The renewals whose boundary fell in the window, counted from the mirror alone, in one statement.
 *
 * A subscription is due when it existed before the window opened (a sign-up's first period start is no
 * renewal) and either its mirrored period started in the window (the mirror has heard of the renewal) or
 * its mirrored period ended in the window while it still renews (Stripe has renewed it, its events have
 * not reached the mirror yet: such a renewal waits). A subscription renews at most once in a window
 * shorter than a month, so it counts once. `subscription_changes` is no help here: a renewal changes
 * neither price nor status, so it writes no row there.
 *
 * Its renewal invoice is the mirrored invoice of the subscription billed for the cycle
 * (`billing_reason = 'subscription_cycle'`, which trial ends are too) whose `period_end`, the period the
 * renewal closes, is in the window. Invoiced: that invoice is mirrored. Paid: its status is `paid`.
 * Failed: not paid, and a payment attempt failed (`attempt_count > 0`), it was marked uncollectible, or
 * the subscription is in dunning. Waiting: the rest (not invoiced yet, not attempted yet, or voided).
 * Should a subscription have two cycle invoices in the window, one paid is enough.
 */
export async function renewalCounts(sql: Sql, w: RenewalWindow): Promise<RenewalCounts> {
  const since = sql.date(w.since);
  const until = sql.date(w.until);
  // The window's cycle invoices are gathered once and joined by hash, not looked up per subscription:
  // PostgreSQL has no index on invoices.subscription_id, and a billing day has thousands due.
  const [row] = await sql.run<Record<keyof RenewalCounts, unknown>>(
    `select
       count(*) as due,
       sum(case when c.subscription_id is not null then 1 else 0 end) as invoiced,
       sum(case when c.paid = 1 then 1 else 0 end) as paid,
       sum(case when coalesce(c.paid, 0) = 0 and (c.attempted = 1 or s.status in ${DUNNING})
                then 1 else 0 end) as failed
     from subscriptions s
     left join (
       select subscription_id,
              max(case when status = 'paid' then 1 else 0 end) as paid,
              max(case when attempt_count > 0 or status = 'uncollectible' then 1 else 0 end) as attempted
         from invoices
        where billing_reason = 'subscription_cycle' and period_end > ? and period_end <= ?
          and subscription_id is not null
        group by subscription_id) c on c.subscription_id = s.id
     where s.created_at < ?
       and ((s.current_period_start > ? and s.current_period_start <= ? and s.status not in ${NOT_RENEWED})
         or (s.current_period_end > ? and s.current_period_end <= ? and s.status in ${RENEWING}
             and s.cancel_at_period_end = ?))`,
    [since, until, since, since, until, since, until, sql.bool(false)],
  );
  const due = num(row?.due);
  const paid = num(row?.paid);
  const failed = num(row?.failed);
  return { due, invoiced: num(row?.invoiced), paid, failed, waiting: due - paid - failed };
}

/** The Stripe events recorded and not yet handed to their workflow, and when the oldest was received. */
export async function unforwardedStripeEvents(
  sql: Sql,
): Promise<{ unforwarded: number; oldestReceivedAt: Date | null }> {
  // The (forwarded_at, received_at) index answers both from its unforwarded end.
  const [row] = await sql.run<{ n: unknown; oldest: unknown }>(
    'select count(*) as n, min(received_at) as oldest from webhook_events where forwarded_at is null',
  );
  return {
    unforwarded: num(row?.n),
    oldestReceivedAt: row?.oldest == null ? null : readDate(row.oldest),
  };
}
