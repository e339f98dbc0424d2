import type Stripe from 'stripe';
import { markForwarded } from '../../services/stripe-events/forward';
import { recordStripeEvent } from '../../services/stripe-events/record';
import { Customer, Plan, Subscription, StripeEvent } from '../../db/entities';
import { newId } from '../../db/ids';
import type { Dialect } from '../../db/orm';
import { PLAN_CATALOG } from '../../domain/plan-catalog';
import { openTestDatabase } from '../helpers/db';

describe.each<Dialect>(['sqlite', 'postgresql'])('persistence on %s', (dialect) => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    db = await openTestDatabase(dialect);
  });
  afterAll(() => db.close());

  it('leaves no difference between the migrations and the entities', async () => {
    expect(await db.orm.getSchemaGenerator().getUpdateSchemaSQL()).toBe('');
  });

  it('writes back none of a loaded row’s dates when it flushes, so a stale copy cannot undo another writer', async () => {
    const em = db.orm.em.fork();
    const sub = em.create(Subscription, {
      id: newId('subs'),
      customer: em.create(Customer, {
        id: newId('cust'),
        userId: `u-stale-${dialect}`,
        email: `stale-${dialect}@example.com`,
      }),
      plan: em.getReference(Plan, 'plan_starter_v1'),
      tier: 'starter',
      status: 'active',
      amountCents: 1900,
      currentPeriodStart: new Date('2026-01-01T00:00:00.000Z'),
      currentPeriodEnd: new Date('2026-02-01T00:00:00.000Z'),
    });
    await em.flush();
    // A request loads the row, then its subscription's workflow moves the period on...
    const request = db.orm.em.fork();
    const stale = await request.findOneOrFail(Subscription, sub.id);
    const workflow = db.orm.em.fork();
    const current = await workflow.findOneOrFail(Subscription, sub.id);
    current.currentPeriodStart = new Date('2026-02-01T00:00:00.000Z');
    current.currentPeriodEnd = new Date('2026-03-01T00:00:00.000Z');
    await workflow.flush();
    // ...and the request flushes for a change of its own (an audit entry, another field).
    stale.cancelAtPeriodEnd = true;
    await request.flush();
    const read = await db.orm.em.fork().findOneOrFail(Subscription, sub.id);
    expect({
      start: read.currentPeriodStart?.toISOString(),
      end: read.currentPeriodEnd?.toISOString(),
      cancelAtPeriodEnd: read.cancelAtPeriodEnd,
    }).toEqual({
      start: '2026-02-01T00:00:00.000Z',
      end: '2026-03-01T00:00:00.000Z',
      cancelAtPeriodEnd: true,
    });
  });

  it("declares every date as a Date: as 'datetime', MikroORM on SQLite takes every loaded date for a change", () => {
    const declared = Object.values(db.orm.getMetadata().getAll()).flatMap((meta) =>
      Object.values(meta.properties)
        .filter((p) => p.runtimeType === 'Date' || /date|time/i.test(String(p.type)))
        .map((p) => `${meta.className}.${p.name}: ${String(p.type)}`),
    );
    expect(declared.length).toBeGreaterThan(90);
    expect(declared.filter((d) => !d.endsWith(': Date'))).toEqual([]);
  });

  it('seeds the plan catalog with prices in integer cents', async () => {
    const plans = await db.orm.em.fork().find(Plan, {}, { orderBy: { sortOrder: 'asc' } });
    expect(plans.map((p) => [p.code, p.priceMonthlyCents, p.priceYearlyCents])).toEqual(
      PLAN_CATALOG.map((p) => [p.code, p.priceMonthlyCents, p.priceYearlyCents]),
    );
    const professional = plans.find((p) => p.code === 'professional');
    expect(professional?.includedCredits).toBe(500);
    expect(professional?.overagePer1kCents).toBe(200);
    expect(professional?.services).toContain('byok');
  });

  it('stores a subscription with its customer and plan and reads it back with dates intact', async () => {
    const em = db.orm.em.fork();
    const customer = em.create(Customer, {
      id: newId('cust'),
      userId: `u-${dialect}`,
      email: `${dialect}@example.com`,
    });
    const plan = await em.findOneOrFail(Plan, { code: 'starter' });
    const periodEnd = new Date('2026-12-22T10:00:00.000Z');
    const sub = em.create(Subscription, {
      id: newId('subs'),
      customer,
      plan,
      tier: plan.code,
      status: 'active',
      amountCents: plan.priceMonthlyCents,
      currentPeriodEnd: periodEnd,
    });
    await em.flush();

    const read = await db.orm.em
      .fork()
      .findOneOrFail(Subscription, sub.id, { populate: ['customer', 'plan'] });
    expect(read.customer.email).toBe(`${dialect}@example.com`);
    expect(read.plan.code).toBe('starter');
    expect(read.amountCents).toBe(1900);
    expect(read.currentPeriodEnd?.toISOString()).toBe(periodEnd.toISOString());
    expect(read.cancelAtPeriodEnd).toBe(false);
  });

  it('refuses a second customer with the same email', async () => {
    const em = db.orm.em.fork();
    em.create(Customer, { id: newId('cust'), userId: 'dup-1', email: `dup-${dialect}@example.com` });
    await em.flush();
    const em2 = db.orm.em.fork();
    em2.create(Customer, { id: newId('cust'), userId: 'dup-2', email: `dup-${dialect}@example.com` });
    await expect(em2.flush()).rejects.toThrow(/unique|UNIQUE/);
  });

  it('records a Stripe event once, with its dates, and drops the payload when marked forwarded', async () => {
    const event = {
      id: `evt_${dialect}_once`,
      object: 'event',
      type: 'customer.subscription.updated',
      created: 1_790_000_000,
      data: { object: { id: 'sub_once', object: 'subscription' } },
    } as unknown as Stripe.Event;
    expect(await recordStripeEvent({ orm: db.orm }, event)).toEqual({ duplicate: false });
    expect(await recordStripeEvent({ orm: db.orm }, event)).toEqual({ duplicate: true });
    const row = await db.orm.em.fork().findOneOrFail(StripeEvent, event.id);
    expect(row).toMatchObject({ type: event.type, objectId: 'sub_once', forwardedAt: null });
    expect(row.stripeCreatedAt.toISOString()).toBe('2026-09-21T14:13:20.000Z');
    expect(JSON.parse(row.payload as string)).toEqual(event);

    await markForwarded(db.orm, [{ eventId: event.id, workflowIds: 'subs_once' }], new Date());
    const marked = await db.orm.em.fork().findOneOrFail(StripeEvent, event.id);
    expect(marked).toMatchObject({ payload: null, workflowId: 'subs_once' });
    expect(marked.forwardedAt).toBeInstanceOf(Date);
  });

  it('keeps a payload as Stripe signed it, whatever text its strings hold', async () => {
    // What the ORM would read as its own syntax or escape wrongly, were the values put into the text.
    const hostile = [
      "it's",
      'back\\slash \\u0000 escaped NUL',
      '? $1 :name ?? $$ dollar',
      "'); drop table webhook_events; --",
      '𝔘nicode, astral 😀, line separator \u2028, zero width \u200b',
      'tab\tnew\nline',
      // Raw NUL, a control character and a lone surrogate: Stripe's JSON (and JSON.stringify) escapes them.
      'raw \u0000 NUL, \u0001 and a lone \ud800 surrogate',
    ];
    for (const [i, text] of hostile.entries()) {
      const event = {
        id: `evt_${dialect}_hostile_${i}`,
        object: 'event',
        type: 'invoice.created',
        created: 1_790_000_000,
        data: { object: { id: `in_hostile_${i}`, object: 'invoice', description: text } },
      } as unknown as Stripe.Event;
      // Stripe's body as signed: its spacing is not JSON.stringify's.
      const payload = JSON.stringify(event, null, 2);
      expect(await recordStripeEvent({ orm: db.orm }, event, payload)).toEqual({ duplicate: false });
      expect(await recordStripeEvent({ orm: db.orm }, event, payload)).toEqual({ duplicate: true });
      const row = await db.orm.em.fork().findOneOrFail(StripeEvent, event.id);
      expect(row.payload).toBe(payload);
      expect(row.objectId).toBe(`in_hostile_${i}`);
    }
  });
});
