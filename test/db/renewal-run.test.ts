import type { EntityManager } from '@mikro-orm/core';
import { StripeEvent, type Subscription, type SubscriptionStatus } from '../../db/entities';
import type { Dialect } from '../../db/orm';
import { sqlFor } from '../../db/raw-sql';
import { renewalCounts, unforwardedStripeEvents } from '../../db/renewal-run';
import { bookWriter, DAY } from '../helpers/book';
import { openTestDatabase } from '../helpers/db';

const HOUR = 3_600_000;
/** The billing day these tests watch: the 24 hours up to noon on 1 December. */
const until = new Date('2026-12-01T12:00:00Z');
const since = new Date(until.getTime() - DAY);
const longAgo = new Date('2026-06-01T00:00:00Z');

/**
 * A subscription as the mirror holds it: its period as Stripe last told the mirror, and the cycle
 * invoices mirrored for it (`periodEnd` is the boundary the invoice's renewal closed).
 */
function subscriptionWith(
  em: EntityManager,
  opts: {
    createdAt?: Date;
    status?: SubscriptionStatus;
    periodStart: Date;
    periodEnd?: Date;
    cancelAtPeriodEnd?: boolean;
    invoices?: { periodEnd: Date; status: string; attempts?: number; reason?: string }[];
  },
): Subscription {
  const book = bookWriter(em);
  const customer = book.customer();
  const sub = book.subscription(customer, {
    amountCents: 4900,
    status: opts.status ?? 'active',
    createdAt: opts.createdAt ?? longAgo,
    cancelAtPeriodEnd: opts.cancelAtPeriodEnd,
  });
  sub.currentPeriodStart = opts.periodStart;
  sub.currentPeriodEnd = opts.periodEnd ?? new Date(opts.periodStart.getTime() + 30 * DAY);
  for (const i of opts.invoices ?? []) {
    const inv = book.invoice(customer, {
      amountCents: 4900,
      createdAt: i.periodEnd,
      status: i.status,
      subscription: sub,
    });
    inv.billingReason = i.reason ?? 'subscription_cycle';
    inv.periodStart = new Date(i.periodEnd.getTime() - 30 * DAY);
    inv.periodEnd = i.periodEnd;
    inv.attemptCount = i.attempts ?? (i.status === 'paid' ? 1 : 0);
  }
  return sub;
}

describe.each<Dialect>(['sqlite', 'postgresql'])('the renewal run read from the mirror on %s', (dialect) => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;

  beforeAll(async () => {
    db = await openTestDatabase(dialect);
  });
  afterAll(() => db?.close());

  it('counts each renewal of the window once as paid, failed or waiting, and which of them are invoiced', async () => {
    const em = db.orm.em.fork();
    const boundary = new Date(until.getTime() - 10 * HOUR);
    const lastMonth = new Date(boundary.getTime() - 30 * DAY);
    // Renewed and paid; last month's paid renewal beside it counts for nothing.
    subscriptionWith(em, {
      periodStart: boundary,
      invoices: [
        { periodEnd: lastMonth, status: 'paid' },
        { periodEnd: boundary, status: 'paid' },
      ],
    });
    // Renewed, the charge declined: the invoice is open after one attempt, the subscription past due.
    subscriptionWith(em, {
      status: 'past_due',
      periodStart: boundary,
      invoices: [{ periodEnd: boundary, status: 'open', attempts: 1 }],
    });
    // Renewed and in dunning before its invoice reached the mirror.
    subscriptionWith(em, { status: 'past_due', periodStart: boundary });
    // Renewed, its invoice open and not attempted yet.
    subscriptionWith(em, {
      periodStart: boundary,
      invoices: [{ periodEnd: boundary, status: 'open' }],
    });
    // Renewed, its new period mirrored but not its invoice; only last month's is there.
    subscriptionWith(em, { periodStart: boundary, invoices: [{ periodEnd: lastMonth, status: 'paid' }] });
    // Renewed in Stripe, the mirror has heard nothing yet: its period ended in the window.
    subscriptionWith(em, { periodStart: lastMonth, periodEnd: boundary });

    // Not due in this window:
    // renewed three days ago, paid;
    const threeDaysAgo = new Date(until.getTime() - 3 * DAY);
    subscriptionWith(em, {
      periodStart: threeDaysAgo,
      invoices: [{ periodEnd: threeDaysAgo, status: 'paid' }],
    });
    // renewed a month before the window, next renewal after it;
    subscriptionWith(em, {
      periodStart: new Date(until.getTime() - 31 * DAY),
      periodEnd: new Date(until.getTime() + 2 * HOUR),
      invoices: [{ periodEnd: new Date(until.getTime() - 31 * DAY), status: 'paid' }],
    });
    // signed up in the window (its first period is no renewal);
    subscriptionWith(em, {
      createdAt: new Date(until.getTime() - 5 * HOUR),
      periodStart: new Date(until.getTime() - 5 * HOUR),
      invoices: [
        { periodEnd: new Date(until.getTime() - 5 * HOUR), status: 'paid', reason: 'subscription_create' },
      ],
    });
    // set to end at the period's end, which fell in the window: Stripe cancels instead of renewing;
    subscriptionWith(em, { periodStart: lastMonth, periodEnd: boundary, cancelAtPeriodEnd: true });
    // paused, and canceled before its period ended;
    subscriptionWith(em, { status: 'paused', periodStart: boundary });
    subscriptionWith(em, { status: 'canceled', periodStart: lastMonth, periodEnd: boundary });
    // a boundary exactly at the window's start belongs to the window before.
    subscriptionWith(em, { periodStart: since, invoices: [{ periodEnd: since, status: 'paid' }] });
    await em.flush();

    expect(await renewalCounts(sqlFor(db.orm.em.fork()), { since, until })).toEqual({
      due: 6,
      invoiced: 3,
      paid: 1,
      failed: 2,
      waiting: 3,
    });
  });

  it('counts the Stripe events not yet forwarded and finds when the oldest was received', async () => {
    const em = db.orm.em.fork();
    const fresh = await unforwardedStripeEvents(sqlFor(em));
    expect(fresh).toEqual({ unforwarded: 0, oldestReceivedAt: null });
    const at = (minutesAgo: number) => new Date(until.getTime() - minutesAgo * 60_000);
    for (const [n, minutesAgo, forwarded] of [
      [1, 30, true],
      [2, 12, false],
      [3, 7, false],
      [4, 1, true],
    ] as const)
      em.create(StripeEvent, {
        id: `evt_intake_${dialect}_${n}`,
        type: 'invoice.paid',
        objectId: `in_intake_${n}`,
        stripeCreatedAt: at(minutesAgo),
        receivedAt: at(minutesAgo),
        payload: '{}',
        forwardedAt: forwarded ? at(minutesAgo - 0.5) : null,
      });
    await em.flush();
    expect(await unforwardedStripeEvents(sqlFor(db.orm.em.fork()))).toEqual({
      unforwarded: 2,
      oldestReceivedAt: at(12),
    });
  });
});
