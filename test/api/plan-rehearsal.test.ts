import { Plan, PlanMigration } from '../../db/entities';
import { newId } from '../../db/ids';
import { sqlFor } from '../../db/raw-sql';
import { syncCatalog } from '../../integrations/stripe/catalog-sync';
import { workflowIds } from '../../workflows/ids';
import type { TestResponse } from '../helpers/api';
import { waitUntil } from '../helpers/eventually';
import { startFullStack, type FullStack } from '../helpers/full-stack';
import { subscribeTo } from '../helpers/plan-migration';

/** Tables a rehearsal writes by design (its own report and audit) or that any API call touches. */
const OWN_TABLES = new Set(['plan_migrations', 'plan_migration_items', 'audit_log', 'rate_limit_buckets']);

/**
 * A price change rehearsed on the book, then approved into the migration: the rehearsal works out each
 * move from the subscription workflow's own state and changes nothing (no Stripe mutation, no row of the
 * engine's, no event in any workflow's history); the migration then does what was rehearsed, to the
 * cent Stripe invoices, except for the customer whose state changed in between, which it flags.
 */
describe('a plan migration rehearsed, then approved', () => {
  let stack: FullStack;
  let admin: string;
  const code = 'rehearsed';
  const subscribers: {
    id: string;
    email: string;
    stripeCustomerId: string;
    getSub: () => Promise<TestResponse>;
  }[] = [];

  beforeAll(async () => {
    stack = await startFullStack({ taskQueue: 'plan-rehearsal' });
    admin = await stack.idp.token({ sub: 'admin-reh', email: 'admin-reh@example.com', roles: ['admin'] });
    const created = await adminCall('POST', '/subscriptions/plans', {
      id: code,
      display_name: 'Rehearsed',
      price_monthly_cents: 1500,
      included_credits: 100,
      services: ['chat'],
    });
    expect(created.status).toBe(201);
    await syncCatalog(stack.stripe, stack.db.orm);
    for (const name of ['reh-a', 'reh-b', 'reh-c']) subscribers.push(await subscribeTo(stack, name, code));
    const granted = await stack.api.request(
      'POST',
      `/api/v1/admin/billing/customers/reh-a@example.com/credits`,
      {
        token: admin,
        headers: { 'idempotency-key': 'reh-a-grant' },
        body: { amount: 250, reason: 'goodwill' },
      },
    );
    expect(granted.status).toBe(201);
    // reh-b's last day: a million gpt-4o tokens, 600,000 in and 400,000 out, 150¢ + 400¢ of provider cost.
    const sql = sqlFor(stack.db.orm.em.fork());
    const [b] = await sql.rows<{ id: string }>('select id from customers where email = ?', [
      'reh-b@example.com',
    ]);
    const at = new Date(Date.now() - 86_400_000);
    await sql.run(
      `insert into usage_events (id, customer_id, event_id, reporter, type, quantity, occurred_at, received_at,
         metadata, byok, prepaid)
       values (?, ?, 'reh-b-tokens', 'gateway', 'inference', 1000000, ?, ?, ?, ?, 0)`,
      [
        newId('uevt'),
        b!.id,
        sql.date(at),
        sql.date(at),
        JSON.stringify({ model: 'gpt-4o', tokens: { input: 600_000, output: 400_000 } }),
        sql.bool(false),
      ],
    );
    const v2 = await adminCall('PUT', `/subscriptions/plans/${code}`, {
      price_monthly_cents: 2000,
      included_credits: 300,
      services: ['chat', 'ops-center'],
    });
    expect(v2.body).toMatchObject({ version: 2, grandfathered_subscribers: 3 });
    await syncCatalog(stack.stripe, stack.db.orm);
    await stack.emulator.waitForWebhooks();
  }, 180_000);
  afterAll(() => stack?.stop());

  function adminCall(method: string, path: string, body?: unknown) {
    return stack.api.request(method, `/api/v1${path}`, { token: admin, body });
  }

  /** Every row of every table but the rehearsal's own, in a stable order. */
  async function engineRows(): Promise<Record<string, unknown[]>> {
    const em = stack.db.orm.em.fork();
    const out: Record<string, unknown[]> = {};
    for (const meta of Object.values(stack.db.orm.getMetadata().getAll())) {
      if (!meta.tableName || OWN_TABLES.has(meta.tableName) || meta.embeddable || meta.virtual) continue;
      const rows = await sqlFor(em).rows<Record<string, unknown>>(`select * from ${meta.tableName}`);
      out[meta.tableName] = rows.map((r) => JSON.stringify(r)).sort();
    }
    return out;
  }

  async function historyLengths(): Promise<number[]> {
    return Promise.all(
      subscribers.map(async (s) => {
        const h = await stack.env.client.workflow.getHandle(workflowIds.subscription(s.id)).fetchHistory();
        return h.events?.length ?? 0;
      }),
    );
  }

  async function completed(id: string) {
    return (
      await waitUntil(
        () => adminCall('GET', `/admin/plan-migrations/${id}?limit=500`),
        (r) => r.body?.status === 'completed',
        `run ${id} completed`,
        60_000,
        200,
      )
    ).body;
  }

  it('works out each move without making it, then moves everyone as rehearsed but the one whose state changed', async () => {
    // The catalog sync the new version started has ended, and Stripe's events of it have all reached the
    // engine, before the picture is taken.
    await stack.env.client.workflow.getHandle(workflowIds.catalogSync()).result();
    await waitUntil(
      () =>
        sqlFor(stack.db.orm.em.fork()).rows<{ n: number }>(
          'select count(*) as n from webhook_events where forwarded_at is null',
        ),
      (r) => Number(r[0]?.n) === 0,
      'every Stripe event forwarded',
      30_000,
    );
    const rowsBefore = await engineRows();
    const historiesBefore = await historyLengths();
    const requestsBefore = stack.emulator.requests().length;

    const started = await adminCall('POST', `/subscriptions/plans/${code}/migrate`, {
      when: 'now',
      rehearse: true,
    });
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ kind: 'rehearsal', status: 'running', progress: { candidates: 3 } });
    expect(started.body.migration_id).toMatch(/^prh_/);
    const rehearsal = await completed(started.body.migration_id);

    // Nothing changed: no call to Stripe that writes, no row of the engine's, no event in a workflow.
    const calls = stack.emulator.requests().slice(requestsBefore);
    expect(calls.filter((c) => c.method !== 'GET')).toEqual([]);
    expect(await engineRows()).toEqual(rowsBefore);
    expect(await historyLengths()).toEqual(historiesBefore);
    for (const s of subscribers)
      expect((await s.getSub()).body).toMatchObject({ amount_cents: 1500, pending_change: null });

    // Each move as it would be: the price, the proration now, the renewal, credits, entitlements, the call.
    const v2 = await stack.db.orm.em.fork().findOneOrFail(Plan, { code, version: 2 });
    expect(rehearsal.subscriptions).toHaveLength(3);
    for (const item of rehearsal.subscriptions) {
      const who = subscribers.find((s) => s.id === item.subscription_id)!;
      expect(item).toMatchObject({
        outcome: 'moved',
        result: 'applied',
        amount_cents: 1500,
        new_amount_cents: 2000,
      });
      const d = item.rehearsal;
      expect(d).toMatchObject({
        currency: 'usd',
        interval: 'month',
        next_invoice: { before_cents: 1500, after_cents: 2000 },
        mrr: { before_cents: 1500, after_cents: 2000 },
        included_credits: { before: 100, after: 300 },
        entitlement_changes: expect.arrayContaining([
          { feature: 'ops-center', change: 'gained' },
          { feature: 'credits', change: 'raised' },
        ]),
        credits_carried_over: who.email === 'reh-a@example.com' ? 250 : 0,
        // The fee plus usage billed (none: neither version prices overage), less its cost.
        margin:
          who.email === 'reh-b@example.com'
            ? { cost_cents: 550, before_cents: 950, after_cents: 1450 }
            : { cost_cents: 0, before_cents: 1500, after_cents: 2000 },
      });
      expect(d.proration.due_now_cents).toBe(
        d.proration.credit_cents + d.proration.charge_cents - d.proration.discount_cents,
      );
      expect(d.proration.due_now_cents).toBeGreaterThan(0);
      expect(d.stripe_calls).toEqual([
        {
          at: 'now',
          method: 'POST',
          path: expect.stringMatching(/^\/v1\/subscriptions\/sub_/),
          params: expect.objectContaining({ proration_behavior: 'always_invoice' }),
        },
      ]);
      expect(d.stripe_calls[0].params.items).toEqual(
        expect.arrayContaining([expect.objectContaining({ price: v2.stripePriceMonthlyId })]),
      );
    }
    const dueNow = rehearsal.subscriptions.reduce(
      (sum: number, i: { rehearsal: { proration: { due_now_cents: number } } }) =>
        sum + i.rehearsal.proration.due_now_cents,
      0,
    );
    expect(rehearsal.summary).toEqual({
      mrr: [{ currency: 'usd', before_cents: 4500, after_cents: 6000 }],
      pay_more: 3,
      pay_less: 0,
      pay_same: 0,
      failed: 0,
      due_now: [{ currency: 'usd', cents: dueNow }],
      largest: rehearsal.subscriptions.map((i: { subscription_id: string }) => ({
        subscription_id: i.subscription_id,
        currency: 'usd',
        before_cents: 1500,
        after_cents: 2000,
      })),
      margin: [{ currency: 'usd', cost_cents: 550, before_cents: 3950, after_cents: 5450 }],
    });

    // In between, one subscription's workflow ends: its move can no longer be made as rehearsed.
    const changed = subscribers[1]!;
    await stack.env.client.workflow
      .getHandle(workflowIds.subscription(changed.id))
      .terminate('test: changed');

    const approved = await adminCall('POST', `/admin/plan-migrations/${rehearsal.migration_id}/approve`);
    expect(approved.status).toBe(202);
    expect(approved.body).toMatchObject({
      kind: 'migration',
      rehearsal_id: rehearsal.migration_id,
      when: 'now',
    });
    const migration = await completed(approved.body.migration_id);
    expect(migration.comparison).toEqual({ matched: 2, differed: 1, differing: [changed.id] });
    for (const item of migration.subscriptions) {
      expect(item.as_rehearsed).toBe(item.subscription_id !== changed.id);
    }
    // What Stripe invoiced at once for each move is what the rehearsal said would be due now.
    for (const s of subscribers.filter((x) => x !== changed)) {
      const rehearsed = rehearsal.subscriptions.find(
        (i: { subscription_id: string }) => i.subscription_id === s.id,
      );
      const invoice = await waitUntil(
        async () =>
          (await stack.stripe.invoices.list({ customer: s.stripeCustomerId, limit: 10 })).data.find(
            (i) => i.billing_reason === 'subscription_update',
          ),
        (i) => i !== undefined,
        `the proration invoice of ${s.email}`,
        30_000,
      );
      expect(invoice!.amount_due).toBe(rehearsed.rehearsal.proration.due_now_cents);
      await waitUntil(s.getSub, (r) => r.body?.amount_cents === 2000, `${s.email} at the new price`, 30_000);
    }
  }, 180_000);

  it('refuses to approve a migration, an unknown rehearsal, and one the plan has moved on from', async () => {
    const runs = await stack.db.orm.em.fork().find(PlanMigration, { planCode: code });
    const rehearsalId = runs.find((r) => r.kind === 'rehearsal')!.id;
    const migrationId = runs.find((r) => r.kind === 'migration')!.id;
    const approve = (id: string) => adminCall('POST', `/admin/plan-migrations/${id}/approve`);
    const asMigration = await approve(migrationId);
    expect({ status: asMigration.status, code: asMigration.body.error?.code }).toEqual({
      status: 404,
      code: 'rehearsal_not_found',
    });
    const unknown = await approve('prh_00000000000000000000');
    expect({ status: unknown.status, code: unknown.body.error?.code }).toEqual({
      status: 404,
      code: 'rehearsal_not_found',
    });
    await adminCall('PUT', `/subscriptions/plans/${code}`, { price_monthly_cents: 2500 });
    const outdated = await approve(rehearsalId);
    expect({
      status: outdated.status,
      code: outdated.body.error?.code,
      field: outdated.body.error?.details?.field,
    }).toEqual({
      status: 409,
      code: 'rehearsal_outdated',
      field: 'migration_id',
    });
    const customer = await stack.idp.token({ sub: 'kc-reh-a', email: 'reh-a@example.com' });
    const asCustomer = await stack.api.request(
      'POST',
      `/api/v1/admin/plan-migrations/${rehearsalId}/approve`,
      {
        token: customer,
      },
    );
    expect(asCustomer.status).toBe(403);
    const badBody = await adminCall('POST', `/subscriptions/plans/${code}/migrate`, { rehearse: 'yes' });
    expect({ status: badBody.status, field: badBody.body.error?.details?.field }).toEqual({
      status: 400,
      field: 'body.rehearse',
    });
  }, 60_000);
});
