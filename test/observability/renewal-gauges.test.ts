import type { EntityManager } from '@mikro-orm/core';
import { StripeEvent } from '../../db/entities';
import type { Dialect } from '../../db/orm';
import { readGaugesFrom } from '../../telemetry/database-gauges';
import { registry } from '../../telemetry/registry';
import { bookWriter, DAY } from '../helpers/book';
import { openTestDatabase } from '../helpers/db';
import { parsePrometheusText, total } from '../helpers/prometheus-text';

const HOUR = 3_600_000;

/** A subscription renewed at `boundary`, with its cycle invoice in `status` (none: not mirrored yet). */
function renewed(em: EntityManager, boundary: Date, status: 'paid' | null): void {
  const book = bookWriter(em);
  const customer = book.customer();
  const sub = book.subscription(customer, {
    amountCents: 4900,
    status: 'active',
    createdAt: new Date(boundary.getTime() - 60 * DAY),
  });
  sub.currentPeriodStart = boundary;
  sub.currentPeriodEnd = new Date(boundary.getTime() + 30 * DAY);
  if (!status) return;
  const inv = book.invoice(customer, { amountCents: 4900, createdAt: boundary, status, subscription: sub });
  inv.billingReason = 'subscription_cycle';
  inv.periodEnd = boundary;
}

describe.each<Dialect>(['sqlite', 'postgresql'])('the renewal gauges on %s', (dialect) => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  // The gauges' clock: the window, the 15 s between reads and the oldest event's age all read Date.now.
  let now = Date.now();
  beforeAll(async () => {
    db = await openTestDatabase(dialect);
    jest.spyOn(Date, 'now').mockImplementation(() => now);
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await db?.close();
  });

  const scrape = async () => parsePrometheusText(await registry.metrics()).samples;

  it('serves the last 24 hours of renewals and the Stripe event backlog, read once per 15 s', async () => {
    const em = db.orm.em.fork();
    renewed(em, new Date(now - 2 * HOUR), 'paid');
    renewed(em, new Date(now - 2 * DAY), 'paid');
    const received = new Date(now - 6 * 60_000);
    em.create(StripeEvent, {
      id: `evt_gauges_${dialect}`,
      type: 'invoice.paid',
      stripeCreatedAt: received,
      receivedAt: received,
      payload: '{}',
    });
    await em.flush();
    readGaugesFrom(db.orm);

    const first = await scrape();
    const renewals = (s: typeof first) =>
      Object.fromEntries(
        ['due', 'invoiced', 'paid', 'failed', 'waiting'].map((state) => [
          state,
          total(s, 'billing_renewals', { state }),
        ]),
      );
    expect(renewals(first)).toEqual({ due: 1, invoiced: 1, paid: 1, failed: 0, waiting: 0 });
    expect(total(first, 'billing_stripe_events_unforwarded')).toBe(1);
    expect(total(first, 'billing_stripe_event_oldest_unforwarded_seconds')).toBe(360);

    // Within 15 s the figures are the last read's; the waiting event's age still grows.
    const em2 = db.orm.em.fork();
    renewed(em2, new Date(now - HOUR), null);
    await em2.flush();
    now += 10_000;
    const cached = await scrape();
    expect(renewals(cached)).toEqual(renewals(first));
    expect(total(cached, 'billing_stripe_event_oldest_unforwarded_seconds')).toBe(370);

    now += 5_000;
    const fresh = await scrape();
    expect(renewals(fresh)).toEqual({ due: 2, invoiced: 1, paid: 1, failed: 0, waiting: 1 });
  });
});
