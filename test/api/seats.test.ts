import { AuditEntry } from '../../db/entities';
import type { Dialect } from '../../db/orm';
import { syncCatalog } from '../../integrations/stripe/catalog-sync';
import { customerOnClock, startFullStack, type FullStack } from '../helpers/full-stack';
import { waitUntil } from '../helpers/eventually';
import { migrateAndWait } from '../helpers/plan-migration';
import { expectRefusals, type Refusal } from '../helpers/refusals';

describe.each<Dialect>(['sqlite', 'postgresql'])('seats (%s)', (dialect) => {
  let stack: FullStack;
  let admin: string;
  beforeAll(async () => {
    stack = await startFullStack({ taskQueue: `seats-${dialect}`, dialect });
    admin = await stack.idp.token({ sub: 'admin-seats', email: 'admin-seats@example.com', roles: ['admin'] });
  }, 120_000);
  afterAll(() => stack?.stop());

  const adminCall = (method: string, path: string, body?: unknown) =>
    stack.api.request(method, `/api/v1${path}`, { token: admin, body });

  /** A plan at $15.00 a seat a month, from `min` to `max` seats (on tiers when given), synced to Stripe. */
  async function seatPlan(
    code: string,
    min: number,
    max: number | null,
    tiers: { mode: string; bands: { from_seat: number; percent_off: number }[] } | null = null,
  ) {
    const created = await adminCall('POST', '/subscriptions/plans', {
      id: code,
      display_name: `Team ${code}`,
      price_monthly_cents: 1500,
      ...(tiers ? { price_yearly_cents: 15_000 } : {}),
      seats: { min, max, tiers },
      services: ['chat'],
    });
    expect({ status: created.status, error: created.body.error }).toEqual({ status: 201, error: undefined });
    expect(created.body.seats).toMatchObject({ min, max, tiers: tiers && { mode: tiers.mode } });
    await syncCatalog(stack.stripe, stack.db.orm);
  }

  /** A customer who bought `seats` seats (or the plan's minimum) at Checkout with 4242. */
  async function team(name: string, plan: string, seats?: number) {
    const who = await customerOnClock(stack, `${name}-${dialect}`);
    const call = (method: string, path: string, body?: unknown) =>
      stack.api.request(method, `/api/v1/billing${path}`, { token: who.token, body });
    const checkout = await call('POST', '/checkout/create', {
      tier_id: plan,
      billing_cycle: 'monthly',
      ...(seats ? { seats } : {}),
    });
    expect({ status: checkout.status, error: checkout.body.error }).toEqual({
      status: 200,
      error: undefined,
    });
    const session = await stack.stripe.checkout.sessions.retrieve(checkout.body.session_id);
    stack.emulator.completeCheckoutSession(checkout.body.session_id, { cardNumber: '4242424242424242' });
    const active = await waitUntil(who.getSub, (r) => r.body?.status === 'active', 'the plan', 60_000);
    /** Every invoice Stripe made for this customer, oldest first: what it came to and what was paid. */
    const stripeInvoices = async () =>
      (await stack.stripe.invoices.list({ customer: who.stripeCustomer.id, limit: 100 })).data
        .map((i) => ({ id: i.id, total: i.total, paid: i.amount_paid }))
        .reverse();
    return { ...who, call, session, active: active.body, stripeInvoices };
  }

  it('sells seats at checkout and changes them prorated: more invoiced at once, fewer credited on the next invoice; the API, the mirror and Stripe agree', async () => {
    await seatPlan(`team-${dialect}`, 2, 50);
    const t = await team('team', `team-${dialect}`, 5);
    expect(t.session.amount_total).toBe(7500);
    expect(t.active).toMatchObject({ seats: 5, amount_cents: 7500, tier: `team-${dialect}` });
    const items = await stack.stripe.subscriptions.retrieve(t.active.stripe_subscription_id);
    expect(items.items.data.map((i) => i.quantity)).toContain(5);

    // Three more seats: the preview says what the card pays now, and Stripe charges that.
    const preview = await t.call('POST', '/subscription/seats', { seats: 8, preview: true });
    expect(preview.body).toMatchObject({
      seats: 8,
      previous_seats: 5,
      amount_cents: 12_000,
      invoiced_now: true,
      applied: false,
    });
    expect(preview.body.due_now_cents).toBe(preview.body.credit_cents + preview.body.charge_cents);
    const more = await t.call('POST', '/subscription/seats', { seats: 8 });
    expect(more.body).toMatchObject({ seats: 8, applied: true });
    const eight = await waitUntil(t.getSub, (r) => r.body?.seats === 8, 'eight seats', 60_000);
    expect(eight.body.amount_cents).toBe(12_000);
    const afterMore = await t.stripeInvoices();
    expect(afterMore).toHaveLength(2);
    // Between the answer and Stripe's invoice a second or two passes: each line may move by a cent.
    expect(Math.abs(afterMore[1]!.paid - more.body.due_now_cents)).toBeLessThanOrEqual(2);
    // What the engine stores of each invoice is what Stripe billed. The mirror learns an invoice
    // exists (invoice.created) before it learns it was paid (invoice.paid), so wait for both.
    const mirrored = (r: { body: unknown }) =>
      Array.isArray(r.body)
        ? (r.body as { id: string; amount_paid_cents: number }[])
            .map((i) => ({ id: i.id, paid: i.amount_paid_cents }))
            .reverse()
        : [];
    const listed = await waitUntil(
      () => t.call('GET', '/invoices'),
      (r) => mirrored(r).length === 2 && mirrored(r).every((i) => i.paid > 0),
      'both invoices paid in the mirror',
      60_000,
    );
    expect(mirrored(listed)).toEqual(afterMore.map((i) => ({ id: i.id, paid: i.paid })));

    // Down to three: nothing is charged now; the credit waits in Stripe for the next invoice.
    const fewer = await t.call('POST', '/subscription/seats', { seats: 3 });
    expect(fewer.body).toMatchObject({ seats: 3, invoiced_now: false, due_now_cents: 0, applied: true });
    expect(fewer.body.credit_cents + fewer.body.charge_cents).toBeLessThan(0);
    await waitUntil(t.getSub, (r) => r.body?.seats === 3, 'three seats', 60_000);
    expect(await t.stripeInvoices()).toHaveLength(2);
    const pending = await stack.stripe.invoiceItems.list({ customer: t.stripeCustomer.id, pending: true });
    const credit = pending.data.reduce((s, i) => s + i.amount, 0);
    expect(Math.abs(credit - (fewer.body.credit_cents + fewer.body.charge_cents))).toBeLessThanOrEqual(2);
    // The same number again changes nothing.
    const same = await t.call('POST', '/subscription/seats', { seats: 3 });
    expect(same.body).toMatchObject({ seats: 3, applied: false, due_now_cents: 0 });
  }, 180_000);

  it('prices seats on tiers as Stripe bills them: at checkout, on a change across bands, and in the mirror', async () => {
    // $15.00 a seat; 20% off from the 11th seat, 40% off from the 21st.
    const bands = [
      { from_seat: 11, percent_off: 20 },
      { from_seat: 21, percent_off: 40 },
    ];
    await seatPlan(`tiered-${dialect}`, 1, 100, { mode: 'graduated', bands });
    const listed = await stack.api.request('GET', '/api/v1/subscriptions/plans');
    const plan = listed.body.find((p: { id: string }) => p.id === `tiered-${dialect}`);
    expect(plan.seats.tiers.bands).toEqual([
      { from_seat: 11, percent_off: 20, price_monthly_cents: 1200, price_yearly_cents: 12_000 },
      { from_seat: 21, percent_off: 40, price_monthly_cents: 900, price_yearly_cents: 9000 },
    ]);
    // The yearly price is tiered by the same bands.
    const yearly = await stack.stripe.prices.list({
      lookup_keys: [`tiered-${dialect}_v1_yearly`],
      expand: ['data.tiers'],
    });
    expect(yearly.data[0]?.tiers?.map((t) => [t.up_to, t.unit_amount])).toEqual([
      [10, 15_000],
      [20, 12_000],
      [null, 9000],
    ]);

    // Twelve seats: ten at 15.00 and two at 12.00.
    const t = await team('tiered', `tiered-${dialect}`, 12);
    expect(t.session.amount_total).toBe(17_400);
    expect(t.active).toMatchObject({ seats: 12, amount_cents: 17_400 });

    // Twenty-five: 10 × 15.00 + 10 × 12.00 + 5 × 9.00; the preview says so and Stripe charges it.
    const preview = await t.call('POST', '/subscription/seats', { seats: 25, preview: true });
    expect(preview.body).toMatchObject({ seats: 25, amount_cents: 31_500, invoiced_now: true });
    const more = await t.call('POST', '/subscription/seats', { seats: 25 });
    expect(more.body).toMatchObject({ seats: 25, amount_cents: 31_500, applied: true });
    const after = await waitUntil(t.getSub, (r) => r.body?.seats === 25, 'twenty-five seats', 60_000);
    expect(after.body.amount_cents).toBe(31_500);
    const invoices = await t.stripeInvoices();
    expect(invoices.map((i) => i.total)).toEqual([17_400, expect.any(Number)]);
    expect(Math.abs(invoices[1]!.paid - more.body.due_now_cents)).toBeLessThanOrEqual(2);

    // On volume tiers every seat costs what the band the count lands in says: 12 × 12.00.
    await seatPlan(`volume-${dialect}`, 1, 100, { mode: 'volume', bands });
    const v = await team('volume', `volume-${dialect}`, 12);
    expect(v.session.amount_total).toBe(14_400);
    expect(v.active).toMatchObject({ seats: 12, amount_cents: 14_400 });
  }, 180_000);

  it('judges two seat changes asked at once each against the seats the other left: an increase then a decrease is invoiced then credited', async () => {
    await seatPlan(`race-team-${dialect}`, 1, 20);
    const t = await team('race-team', `race-team-${dialect}`, 5);
    const seatsCall = (seats: number) => t.call('POST', '/subscription/seats', { seats });
    // The second is asked while the first is still with Stripe: both read five seats from the mirror.
    const [up, down] = await Promise.all([
      seatsCall(8),
      new Promise((r) => setTimeout(r, 50)).then(() => seatsCall(6)),
    ]);
    const answers = [up.body, down.body].sort((a, b) =>
      a.previous_seats === 5 ? -1 : b.previous_seats === 5 ? 1 : 0,
    );
    // Whichever ran first moved from five; the other from the seats the first left.
    expect(answers.map((a) => a.previous_seats)).toEqual([5, answers[0].seats]);
    for (const a of answers) {
      expect(a).toMatchObject({ applied: true, invoiced_now: a.seats > a.previous_seats });
      if (!a.invoiced_now) expect(a.due_now_cents).toBe(0);
    }
    const last = answers[1];
    await waitUntil(t.getSub, (r) => r.body?.seats === last.seats, 'the last change mirrored', 60_000);
    // Stripe invoiced exactly the increases; a decrease left its credit pending for the next invoice.
    const invoiced = answers.filter((a) => a.invoiced_now).length;
    expect(await t.stripeInvoices()).toHaveLength(1 + invoiced);
    const pending = await stack.stripe.invoiceItems.list({ customer: t.stripeCustomer.id, pending: true });
    const credited = answers.filter((a) => !a.invoiced_now);
    const pendingCents = pending.data.reduce((sum, i) => sum + i.amount, 0);
    const answeredCents = credited.reduce((sum, a) => sum + a.credit_cents + a.charge_cents, 0);
    expect(Math.abs(pendingCents - answeredCents)).toBeLessThanOrEqual(2 * credited.length);
  }, 180_000);

  it('answers a retried seat change with the same Idempotency-Key as the first, changing Stripe once', async () => {
    await seatPlan(`retry-team-${dialect}`, 1, 20);
    const t = await team('retry-team', `retry-team-${dialect}`, 2);
    const withKey = (seats: number, key: string) =>
      stack.api.request('POST', '/api/v1/billing/subscription/seats', {
        token: t.token,
        body: { seats },
        headers: { 'Idempotency-Key': key },
      });
    const first = await withKey(4, 'seats-retry-1');
    expect(first.body).toMatchObject({ seats: 4, previous_seats: 2, applied: true, invoiced_now: true });
    await waitUntil(t.getSub, (r) => r.body?.seats === 4, 'four seats', 60_000);
    const again = await withKey(4, 'seats-retry-1');
    expect(again.body).toMatchObject({ seats: 4, previous_seats: 2, applied: true, invoiced_now: true });
    expect(await t.stripeInvoices()).toHaveLength(2);
    // Without a key, asking for the seats already held changes nothing either.
    const same = await t.call('POST', '/subscription/seats', { seats: 4 });
    expect(same.body).toMatchObject({ seats: 4, previous_seats: 4, applied: false, due_now_cents: 0 });
    expect(await t.stripeInvoices()).toHaveLength(2);
    // A key the API refuses is named; the seats stay as they were.
    await expectRefusals(
      (ask) => withKey(5, String(ask.key)),
      [
        [{ key: 'has space' }, 400, 'invalid_request', 'headers.idempotency-key'],
        [{ key: 'k'.repeat(201) }, 400, 'invalid_request', 'headers.idempotency-key'],
        [{ key: 'caf\u00e9' }, 400, 'invalid_request', 'headers.idempotency-key'],
      ],
    );
    expect((await t.getSub()).body.seats).toBe(4);
  }, 180_000);

  it('migrates a team to a new price per seat for all its seats, and reports a team whose seats no longer fit', async () => {
    const code = `grand-team-${dialect}`;
    await seatPlan(code, 1, 20);
    const fits = await team('grand-fits', code, 3);
    const tooMany = await team('grand-big', code, 12);
    const v2 = await adminCall('PUT', `/subscriptions/plans/${code}`, {
      price_monthly_cents: 2000,
      seats: { min: 1, max: 10 },
    });
    expect(v2.body).toMatchObject({ version: 2, grandfathered_subscribers: 2 });
    await syncCatalog(stack.stripe, stack.db.orm);
    const report = await migrateAndWait(adminCall, code, { when: 'period_end' });
    expect(report).toMatchObject({
      version: 2,
      progress: { candidates: 2, moved: 1, failed: 1, percent: 100 },
    });
    expect(report.subscriptions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          subscription_id: fits.active.subscription_id,
          outcome: 'moved',
          result: 'scheduled',
          amount_cents: 4500,
          new_amount_cents: 6000,
        }),
        expect.objectContaining({
          subscription_id: tooMany.active.subscription_id,
          outcome: 'failed',
          reason: expect.stringMatching(/seat/i),
        }),
      ]),
    );
    // The change waiting for the period end prices every seat, not one.
    const pending = await waitUntil(
      fits.getSub,
      (r) => r.body?.pending_change !== null,
      'the pending change',
      60_000,
    );
    expect(pending.body.pending_change).toMatchObject({ tier: code, amount_cents: 6000 });
    expect(pending.body).toMatchObject({ seats: 3, amount_cents: 4500 });
  }, 180_000);

  it('lets an admin change a customer’s seats, audited, within the plan’s range', async () => {
    await seatPlan(`admin-team-${dialect}`, 1, 10);
    const t = await team('admin-team', `admin-team-${dialect}`);
    expect(t.active).toMatchObject({ seats: 1, amount_cents: 1500 });
    const email = encodeURIComponent(`admin-team-${dialect}@example.com`);
    const tooMany = await adminCall('PUT', `/admin/billing/customers/${email}/seats`, { seats: 11 });
    expect({
      status: tooMany.status,
      code: tooMany.body.error?.code,
      field: tooMany.body.error?.details?.field,
    }).toEqual({
      status: 400,
      code: 'seats_out_of_range',
      field: 'body.seats',
    });
    const changed = await adminCall('PUT', `/admin/billing/customers/${email}/seats`, { seats: 4 });
    expect(changed.body).toMatchObject({ seats: 4, applied: true, invoiced_now: true });
    await waitUntil(t.getSub, (r) => r.body?.seats === 4, 'four seats', 60_000);
    const audited = await stack.db.orm.em
      .fork()
      .find(AuditEntry, { action: 'subscription.change_seats', entityId: t.active.subscription_id });
    expect(audited.map((a) => ({ by: a.actorEmail, before: a.before, after: a.after }))).toEqual([
      { by: 'admin-seats@example.com', before: { seats: 1 }, after: { seats: 4 } },
    ]);
    const viewer = await stack.idp.token({ sub: 'kc-nosy', email: 'nosy@example.com' });
    const refused = await stack.api.request('PUT', `/api/v1/admin/billing/customers/${email}/seats`, {
      token: viewer,
      body: { seats: 9 },
    });
    expect(refused.status).toBe(403);
  }, 180_000);

  it('refuses seats outside the range, on a plan not priced per seat, and of the wrong kind, naming the field', async () => {
    await seatPlan(`small-team-${dialect}`, 3, 5);
    const who = await customerOnClock(stack, `refused-seats-${dialect}`);
    const checkout = (body: Record<string, unknown>) =>
      stack.api.request('POST', '/api/v1/billing/checkout/create', { token: who.token, body });
    const plan = `small-team-${dialect}`;
    const cases: Refusal[] = [
      [{ tier_id: plan, seats: 2 }, 400, 'seats_out_of_range', 'body.seats'],
      [{ tier_id: plan, seats: 6 }, 400, 'seats_out_of_range', 'body.seats'],
      [{ tier_id: 'starter', seats: 2 }, 400, 'seats_not_offered', 'body.seats'],
      [{ tier_id: plan, seats: 0 }, 400, 'validation_failed', undefined],
      [{ tier_id: plan, seats: 3.5 }, 400, 'validation_failed', undefined],
      [{ tier_id: plan, seats: '4' }, 400, 'validation_failed', undefined],
      [{ tier_id: plan, seats: 1e9 }, 400, 'validation_failed', undefined],
      [{ tier_id: plan, seats: -1 }, 400, 'validation_failed', undefined],
    ];
    await expectRefusals(checkout, cases);
    // A plan whose seat range cannot be sold.
    const bad = await adminCall('POST', '/subscriptions/plans', {
      id: `bad-seats-${dialect}`,
      display_name: 'Bad seats',
      price_monthly_cents: 1500,
      seats: { min: 5, max: 4 },
    });
    expect({ status: bad.status, code: bad.body.error?.code, field: bad.body.error?.details?.field }).toEqual(
      {
        status: 400,
        code: 'seats_invalid',
        field: 'seats',
      },
    );
    // Seat tiers that cannot be sold, each naming the band at fault.
    const tiered = (n: number, tiers: unknown, seats: Record<string, unknown> = { min: 1, max: 50 }) =>
      adminCall('POST', '/subscriptions/plans', {
        id: `bad-tiers-${n}-${dialect}`,
        display_name: 'Bad tiers',
        price_monthly_cents: 1500,
        seats: { ...seats, tiers },
      });
    const band = (from_seat: unknown, percent_off: unknown) => ({ from_seat, percent_off });
    const tierCases: [unknown, number, string, string | undefined][] = [
      [
        { mode: 'graduated', bands: [band(11, 20), band(11, 30)] },
        400,
        'seats_invalid',
        'seats.tiers.bands.1.from_seat',
      ],
      [
        { mode: 'volume', bands: [band(21, 20), band(11, 30)] },
        400,
        'seats_invalid',
        'seats.tiers.bands.1.from_seat',
      ],
      [{ mode: 'graduated', bands: [band(51, 20)] }, 400, 'seats_invalid', 'seats.tiers.bands.0.from_seat'],
      [
        { mode: 'graduated', bands: [band(1, 20)] },
        400,
        'validation_failed',
        'body.seats.tiers.bands.0.from_seat',
      ],
      [
        { mode: 'graduated', bands: [band(11, 101)] },
        400,
        'validation_failed',
        'body.seats.tiers.bands.0.percent_off',
      ],
      [
        { mode: 'graduated', bands: [band('11', 20)] },
        400,
        'validation_failed',
        'body.seats.tiers.bands.0.from_seat',
      ],
      [
        { mode: 'graduated', bands: [band(11, 2.5)] },
        400,
        'validation_failed',
        'body.seats.tiers.bands.0.percent_off',
      ],
      [{ mode: 'stepped', bands: [band(11, 20)] }, 400, 'validation_failed', 'body.seats.tiers.mode'],
      [{ mode: 'graduated', bands: [] }, 400, 'validation_failed', 'body.seats.tiers.bands'],
      [
        { mode: 'graduated', bands: [{ ...band(11, 20), flat_cents: 5 }] },
        400,
        'validation_failed',
        'body.seats.tiers.bands.0',
      ],
      [[band(11, 20)], 400, 'validation_failed', 'body.seats.tiers'],
    ];
    for (const [i, [tiers, status, code, field]] of tierCases.entries()) {
      const r = await tiered(i, tiers);
      expect({
        tiers,
        status: r.status,
        code: r.body.error?.code,
        field: r.body.error?.details?.field,
      }).toEqual({
        tiers,
        status,
        code,
        field,
      });
    }
    // Credits per seat: a whole number of units a month, from none up to a billion; the field at fault named.
    const creditCases: [unknown, number, string | undefined][] = [
      [-1, 400, 'body.seats.credits_per_seat'],
      [1.5, 400, 'body.seats.credits_per_seat'],
      [1e10, 400, 'body.seats.credits_per_seat'],
      ['10', 400, 'body.seats.credits_per_seat'],
      [null, 400, 'body.seats.credits_per_seat'],
      [Number.MAX_SAFE_INTEGER + 2, 400, 'body.seats.credits_per_seat'],
      [1_000_000_000, 201, undefined],
      [0, 201, undefined],
    ];
    for (const [i, [credits, status, field]] of creditCases.entries()) {
      const r = await adminCall('POST', '/subscriptions/plans', {
        id: `seat-credits-${i}-${dialect}`,
        display_name: 'Seat credits',
        price_monthly_cents: 1500,
        seats: { min: 1, max: 50, credits_per_seat: credits },
      });
      expect({ credits, status: r.status, field: r.body.error?.details?.field }).toEqual({
        credits,
        status,
        field,
      });
      if (status === 201) expect(r.body.seats).toMatchObject({ credits_per_seat: credits });
    }
    // A customer on a plan not priced per seat cannot change seats; one without a plan has none to change.
    const none = await stack.api.request('POST', '/api/v1/billing/subscription/seats', {
      token: who.token,
      body: { seats: 2 },
    });
    expect(none.status).toBe(404);
  }, 120_000);

  it('keeps seats through a change between plans priced per seat, and refuses one onto a plan that is not', async () => {
    await seatPlan(`seat-a-${dialect}`, 1, 20);
    await seatPlan(`seat-b-${dialect}`, 2, 20);
    const t = await team('mover', `seat-a-${dialect}`, 6);
    const perUnit = await t.call('POST', '/subscription/upgrade', {
      new_tier_id: 'professional',
      billing_cycle: 'monthly',
    });
    expect({ status: perUnit.status, code: perUnit.body.error?.code }).toEqual({
      status: 409,
      code: 'seats_not_offered',
    });
    const moved = await t.call('POST', '/subscription/upgrade', {
      new_tier_id: `seat-b-${dialect}`,
      billing_cycle: 'monthly',
    });
    expect(moved.status).toBe(200);
    const after = await waitUntil(t.getSub, (r) => r.body?.tier === `seat-b-${dialect}`, 'the move', 60_000);
    expect(after.body).toMatchObject({ seats: 6, amount_cents: 9000 });
  }, 180_000);
});
