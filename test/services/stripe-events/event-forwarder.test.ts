import pino from 'pino';
import Stripe from 'stripe';
import { Customer } from '../../../db/entities';
import { newId } from '../../../db/ids';
import type { Dialect } from '../../../db/orm';
import { sqlFor } from '../../../db/raw-sql';
import type { CoreDeps } from '../../../services/deps';
import { StripeEventForwarder } from '../../../services/stripe-events/event-forwarder';
import { recordStripeEvent } from '../../../services/stripe-events/record';
import { openTestDatabase } from '../../helpers/db';

describe.each<Dialect>(['sqlite', 'postgresql'])('the intake during a backlog, on %s', (dialect) => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let deps: CoreDeps;

  beforeAll(async () => {
    db = await openTestDatabase(dialect);
    deps = {
      orm: db.orm,
      logger: pino({ level: 'silent' }),
      config: { STRIPE_EVENT_FORWARD_LANES: 2 },
    } as unknown as CoreDeps;
  });
  afterAll(() => db?.close());

  /** A mirrored customer and the events of one renewal invoice of theirs, recorded as the webhook does. */
  async function renewal() {
    const em = db.orm.em.fork();
    const id = newId('cust');
    const stripeCustomerId = `cus_${id}`;
    em.create(Customer, { id, userId: `kc-${id}`, email: `${id}@example.com`, stripeCustomerId });
    await em.flush();
    const invoiceId = `in_${id}`;
    const copy = (type: string, fields: Record<string, unknown>) =>
      ({
        id: `evt_${newId('e')}`,
        object: 'event',
        type,
        created: 1_700_000_000,
        api_version: Stripe.API_VERSION,
        data: {
          object: {
            id: invoiceId,
            object: 'invoice',
            customer: stripeCustomerId,
            currency: 'usd',
            subtotal: 900,
            total: 900,
            amount_due: 900,
            amount_paid: 0,
            attempt_count: 0,
            created: 1_700_000_000,
            ...fields,
          },
        },
      }) as unknown as Stripe.Event;
    const events = {
      created: copy('invoice.created', { status: 'draft' }),
      finalized: copy('invoice.finalized', { status: 'open', number: 'R-1' }),
      paid: copy('invoice.paid', { status: 'paid', number: 'R-1', attempt_count: 1, amount_paid: 900 }),
    };
    for (const e of Object.values(events)) await recordStripeEvent(deps, e);
    return { customerId: id, invoiceId, events };
  }

  /** Kicks the events in one go, as a burst of webhooks does while the lanes are busy, and waits for them. */
  async function burst(events: Stripe.Event[]) {
    const forwarder = new StripeEventForwarder(deps);
    try {
      for (const e of events) void forwarder.kick(e.id, (e.data.object as { id: string }).id, e);
      await forwarder.drain();
    } finally {
      forwarder.close();
    }
  }

  async function state(customerId: string, invoiceId: string, events: Stripe.Event[]) {
    const sql = sqlFor(db.orm.em.fork());
    const marks = await sql.rows<{ id: string; workflow_id: string | null; forwarded: unknown }>(
      `select id, workflow_id, forwarded_at as forwarded from webhook_events where id in (${events
        .map(() => '?')
        .join(', ')})`,
      events.map((e) => e.id),
    );
    const invoices = await sql.rows<{ status: string; amount_paid_cents: number }>(
      'select status, amount_paid_cents from invoices where stripe_invoice_id = ?',
      [invoiceId],
    );
    const notices = await sql.rows<{ type: string }>(
      'select type from billing_events where customer_id = ?',
      [customerId],
    );
    return {
      marks: new Map(marks.map((m) => [m.id, m.workflow_id])),
      unforwarded: marks.filter((m) => m.forwarded === null).length,
      invoices,
      notices: notices.map((n) => n.type),
    };
  }

  it("writes a burst of one invoice's events once, from the last, and marks the others superseded by it", async () => {
    const { customerId, invoiceId, events } = await renewal();
    const all = [events.created, events.finalized, events.paid];
    await burst(all);
    const s = await state(customerId, invoiceId, all);
    expect(s.unforwarded).toBe(0);
    expect(s.marks.get(events.created.id)).toBe(`superseded-by:${events.finalized.id}`);
    expect(s.marks.get(events.finalized.id)).toBe(`superseded-by:${events.paid.id}`);
    expect(s.marks.get(events.paid.id)).toBe('payload-mirror');
    expect(s.invoices).toEqual([{ status: 'paid', amount_paid_cents: 900 }]);
    expect(s.notices).toEqual(['invoice.paid']);
  });

  it('writes every copy of a burst that arrived out of order, and the invoice stays paid', async () => {
    const { customerId, invoiceId, events } = await renewal();
    const all = [events.paid, events.finalized, events.created];
    await burst(all);
    const s = await state(customerId, invoiceId, all);
    expect([...s.marks.values()]).toEqual(['payload-mirror', 'payload-mirror', 'payload-mirror']);
    expect(s.invoices).toEqual([{ status: 'paid', amount_paid_cents: 900 }]);
    expect(s.notices).toEqual(['invoice.paid']);
  });

  it('marks a burst whose events went nowhere (ignored), many more than one statement takes', async () => {
    const ignored = Array.from(
      { length: 600 },
      (_, i) =>
        ({
          id: `evt_${newId('i')}_${i}`,
          object: 'event',
          type: 'price.updated',
          created: 1_700_000_000,
          data: { object: { id: `price_${i}`, object: 'price' } },
        }) as unknown as Stripe.Event,
    );
    for (const e of ignored) await recordStripeEvent(deps, e);
    await burst(ignored);
    const s = await state('nobody', 'none', ignored);
    expect(s.unforwarded).toBe(0);
    expect(new Set(s.marks.values())).toEqual(new Set([null]));
    expect(s.marks.size).toBe(600);
  });

  it('writes each copy when each arrives after the last was handled (no backlog, nothing to skip)', async () => {
    const { customerId, invoiceId, events } = await renewal();
    const all = [events.created, events.finalized, events.paid];
    for (const e of all) await burst([e]);
    const s = await state(customerId, invoiceId, all);
    expect([...s.marks.values()]).toEqual(['payload-mirror', 'payload-mirror', 'payload-mirror']);
    expect(s.invoices).toEqual([{ status: 'paid', amount_paid_cents: 900 }]);
    expect(s.notices).toEqual(['invoice.paid']);
  });
});
