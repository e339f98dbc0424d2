import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { recordAudit } from '../../db/audit';
import { AuditEntry, Plan, Subscription } from '../../db/entities';
import { newId } from '../../db/ids';
import { subscriptionWorkflow } from '../../workflows';
import { subscriptionState } from '../../workflows/messages';
import { bookWriter, DAY, startBillingTestApi } from '../helpers/book';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { openTestDatabase } from '../helpers/db';
import { startDevServer, workflowBundle } from '../helpers/temporal';
import { eventually, fakeBilling, STARTER, subscriptionSnapshot } from '../helpers/workflow-activities';

describe('admin billing lists and changes', () => {
  let idp: TestIdp;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let api: Awaited<ReturnType<typeof startBillingTestApi>>;
  let env: TestWorkflowEnvironment;
  let admin: string;
  let editor: string;

  beforeAll(async () => {
    [idp, db, env] = await Promise.all([startTestIdp(), openTestDatabase('sqlite'), startDevServer()]);
    api = await startBillingTestApi({
      orm: db.orm,
      temporal: env.client,
      env: { OIDC_ISSUER: idp.issuer, OIDC_JWKS_URL: idp.jwksUrl },
    });
    admin = await idp.token({ sub: 'admin-1', email: 'boss@example.com', roles: ['admin'] });
    editor = await idp.token({ email: 'ed@example.com', roles: ['editor'] });
  });
  afterAll(async () => {
    await api.stop();
    await Promise.all([idp.stop(), db.close(), env?.teardown()]);
  });

  /**
   * A starter subscription for `email`, and `run` while its own workflow serves it on a fake Stripe behind
   * its activities (terminated after), on the API's own queue: it answers 503 no_worker when nothing polls it.
   */
  async function liveStarter(email: string, stripeSubscriptionId: string) {
    const book = bookWriter(db.orm.em.fork());
    const c = book.customer({ email });
    const sub = book.subscription(c, {
      tier: 'starter',
      amountCents: 1900,
      status: 'active',
      createdAt: new Date(),
    });
    await book.flush();
    const fake = fakeBilling(env, {
      subscription: subscriptionSnapshot(stripeSubscriptionId, {
        currentPeriodStart: new Date(Date.now() - 10 * DAY).toISOString(),
        currentPeriodEnd: new Date(Date.now() + 20 * DAY).toISOString(),
      }),
    });
    const taskQueue = api.config.TEMPORAL_TASK_QUEUE;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      namespace: 'billing',
      taskQueue,
      workflowBundle: workflowBundle(),
      activities: fake.activities,
    });
    const run = <T>(fn: (handle: WorkflowHandle<typeof subscriptionWorkflow>) => Promise<T>) =>
      worker.runUntil(async () => {
        const handle = await env.client.workflow.start(subscriptionWorkflow, {
          workflowId: `subscription-${sub.id}`,
          taskQueue,
          args: [{ subscriptionId: sub.id, customerId: c.id, email, plan: STARTER, stripeSubscriptionId }],
        });
        await eventually(
          () => handle.query(subscriptionState),
          (st) => st.status === 'active',
        );
        const result = await fn(handle);
        await handle.terminate('end of test');
        return result;
      });
    return { sub, fake, run };
  }

  it('pages through subscriptions without repeating or skipping any while new ones arrive', async () => {
    const book = bookWriter(db.orm.em.fork());
    const start = Date.now() - 50 * DAY;
    const original = new Set<string>();
    for (let i = 0; i < 25; i++) {
      const c = book.customer({ email: `page-${i}@stable.example` });
      const s = book.subscription(c, {
        tier: 'starter',
        amountCents: 1900,
        status: 'active',
        createdAt: new Date(start + i * DAY),
      });
      original.add(s.id);
    }
    await book.flush();

    const seen: string[] = [];
    let cursor: string | null = null;
    let round = 0;
    do {
      const q: string = `tier=starter&email=stable.example&limit=10${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await api.request('GET', `/api/v1/admin/billing/subscriptions?${q}`, { token: admin });
      expect(res.status).toBe(200);
      seen.push(...res.body.subscriptions.map((s: { subscription_id: string }) => s.subscription_id));
      cursor = res.body.next_cursor;
      // Between pages: a newer subscription and an older one land in the mirror.
      const more = bookWriter(db.orm.em.fork());
      const c = more.customer({ email: `late-${round}@stable.example` });
      more.subscription(c, { tier: 'starter', amountCents: 1900, status: 'active', createdAt: new Date() });
      more.subscription(c, {
        tier: 'starter',
        amountCents: 1900,
        status: 'active',
        createdAt: new Date(start - (round + 1) * DAY),
      });
      await more.flush();
      round++;
    } while (cursor && round < 20);

    expect(new Set(seen).size).toBe(seen.length);
    for (const id of original) expect(seen).toContain(id);
  });

  it('filters subscriptions by status and counts the total of the filter', async () => {
    const book = bookWriter(db.orm.em.fork());
    for (const status of ['past_due', 'past_due', 'paused'] as const) {
      const c = book.customer({ email: `${status}-${Math.random()}@filter.example` });
      book.subscription(c, { tier: 'enterprise', amountCents: 9900, status, createdAt: new Date() });
    }
    await book.flush();
    const res = await api.request(
      'GET',
      '/api/v1/admin/subscriptions/list?status=past_due,paused&email=filter.example&limit=2',
      { token: admin },
    );
    expect(res.body.total).toBe(3);
    expect(res.body.subscriptions).toHaveLength(2);
    expect(res.body.subscriptions[0]).toMatchObject({
      tier: 'enterprise',
      amount: 99,
      currency: 'usd',
      interval: 'month',
      cancel_at_period_end: false,
      customer: expect.stringMatching(/^cus_/),
    });
    const bad = await api.request('GET', '/api/v1/admin/billing/subscriptions?status=happy', {
      token: admin,
    });
    expect(bad.status).toBe(400);
  });

  it('lists customers by email with their tier, and recent charges newest first', async () => {
    const book = bookWriter(db.orm.em.fork());
    const names = ['carol', 'alice', 'bob'];
    for (const n of names) {
      const c = book.customer({ email: `${n}@customers.example`, name: n });
      book.subscription(c, {
        tier: 'professional',
        amountCents: 4900,
        status: 'active',
        createdAt: new Date(),
      });
      book.charge(c, { amountCents: 4900, createdAt: new Date(Date.now() - names.indexOf(n) * 1000) });
    }
    await book.flush();
    const res = await api.request(
      'GET',
      '/api/v1/admin/billing/customers?email=customers.example&sort=email',
      {
        token: admin,
      },
    );
    expect(res.body.total).toBe(3);
    expect(res.body.customers.map((c: { email: string }) => c.email)).toEqual([
      'alice@customers.example',
      'bob@customers.example',
      'carol@customers.example',
    ]);
    expect(res.body.customers[0]).toMatchObject({ name: 'alice', metadata: { tier: 'professional' } });

    const charges = await api.request('GET', '/api/v1/admin/billing/recent-charges?limit=2', {
      token: admin,
    });
    expect(charges.body.charges.map((c: { customer_email: string }) => c.customer_email)).toEqual([
      'carol@customers.example',
      'alice@customers.example',
    ]);
    expect(charges.body.charges[0]).toMatchObject({
      amount: 49,
      status: 'succeeded',
      paid: true,
      refunded: false,
    });
    expect(charges.body.next_cursor).toEqual(expect.any(String));
  });

  it("shows a customer's subscription by email, whatever the case of the address", async () => {
    const book = bookWriter(db.orm.em.fork());
    const c = book.customer({ email: 'Dana@Show.example' });
    book.subscription(c, {
      tier: 'starter',
      amountCents: 19000,
      interval: 'year',
      status: 'active',
      createdAt: new Date(),
    });
    await book.flush();
    const res = await api.request('GET', '/api/v1/admin/subscriptions/dana@show.example', { token: admin });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      email: 'Dana@Show.example',
      tier: 'starter',
      interval: 'year',
      mrr_cents: 1583,
    });
    expect(
      (await api.request('GET', '/api/v1/admin/subscriptions/nobody@show.example', { token: admin })).status,
    ).toBe(404);
  });

  it("changes a tier and cancels through the subscription workflow's Updates, audits both, leaves the table alone", async () => {
    // As after `npm run stripe:sync`: the plan has a Stripe price to move to.
    await db.orm.em
      .fork()
      .nativeUpdate(
        Plan,
        { id: 'plan_enterprise_v1' },
        { stripePriceMonthlyId: 'price_ent_m', stripeUsagePriceMonthlyId: 'price_ent_usage_m' },
      );
    // The subscription's own workflow, on a fake Stripe behind its activities.
    const { sub, fake, run } = await liveStarter('erin@patch.example', 'sub_erin');
    const res = await run(async (handle) => {
      const patched = await api.request('PATCH', '/api/v1/admin/subscriptions/erin@patch.example', {
        token: admin,
        body: { tier: 'enterprise', status: 'canceled', reason: 'customer asked by phone' },
      });
      expect(await handle.query(subscriptionState)).toMatchObject({
        tier: 'enterprise',
        amountCents: 9900,
        cancelAtPeriodEnd: true,
      });
      return patched;
    });
    expect(res.status).toBe(200);
    expect(fake.activities.changeSubscriptionPrice).toHaveBeenCalledWith(
      expect.objectContaining({
        stripeSubscriptionId: 'sub_erin',
        priceId: 'price_ent_m',
        usagePriceId: 'price_ent_usage_m',
        prorationBehavior: 'always_invoice',
      }),
    );
    expect(fake.activities.setCancelAtPeriodEnd).toHaveBeenCalledWith(
      expect.objectContaining({ stripeSubscriptionId: 'sub_erin', cancel: true }),
    );

    // The handler wrote only the audit log; the mirror is the workflow's to write (here a fake's).
    const em = db.orm.em.fork();
    expect(await em.findOneOrFail(Subscription, sub.id)).toMatchObject({ tier: 'starter', status: 'active' });
    const audit = await em.find(
      AuditEntry,
      { entityType: 'subscription', entityId: sub.id },
      { orderBy: { id: 'asc' } },
    );
    expect(audit.map((a) => [a.action, a.actorEmail])).toEqual([
      ['subscription.change_plan', 'boss@example.com'],
      ['subscription.cancel', 'boss@example.com'],
    ]);
    expect(audit[0]!.before).toMatchObject({ tier: 'starter', reason: 'customer asked by phone' });
    expect(audit[0]!.after).toMatchObject({ tier: 'enterprise', status: 'applied' });

    const log = await api.request(
      'GET',
      `/api/v1/admin/audit-log?entity_type=subscription&entity_id=${sub.id}`,
      {
        token: admin,
      },
    );
    expect(log.body.total).toBe(2);
  });

  it('applies a retried plan change once: the same Idempotency-Key, or the same request against the same state', async () => {
    const em0 = db.orm.em.fork();
    await em0.nativeUpdate(
      Plan,
      { id: 'plan_enterprise_v1' },
      { stripePriceMonthlyId: 'price_ent_m', stripeUsagePriceMonthlyId: 'price_ent_usage_m' },
    );
    await em0.nativeUpdate(
      Plan,
      { id: 'plan_professional_v1' },
      { stripePriceMonthlyId: 'price_pro_m', stripeUsagePriceMonthlyId: 'price_pro_usage_m' },
    );
    const { sub, fake, run } = await liveStarter('gail@retry.example', 'sub_gail');
    const patch = (body: object, key?: string) =>
      api.request('PATCH', '/api/v1/admin/subscriptions/gail@retry.example', {
        token: admin,
        body,
        headers: key === undefined ? {} : { 'Idempotency-Key': key },
      });
    const priceChanges = () =>
      fake.activities.changeSubscriptionPrice.mock.calls.map(([change]) => change.priceId);
    await run(async (handle) => {
      // No key: the same request against the same (mirrored) state is the same change.
      const first = await patch({ tier: 'enterprise', when: 'now' });
      const again = await patch({ tier: 'enterprise', when: 'now' });
      expect([first.status, again.status]).toEqual([200, 200]);
      expect(again.body).toEqual(first.body);
      expect(priceChanges()).toEqual(['price_ent_m']);

      // The caller's key: a retry with it is the same change.
      const keyed = await patch({ tier: 'professional', when: 'now' }, 'retry-key-1');
      const keyedAgain = await patch({ tier: 'professional', when: 'now' }, 'retry-key-1');
      expect([keyed.status, keyedAgain.status]).toEqual([200, 200]);
      expect(keyedAgain.body).toEqual(keyed.body);
      expect(priceChanges()).toEqual(['price_ent_m', 'price_pro_m']);

      // Once the state it was made against has changed, the first request again is a new change.
      await db.orm.em
        .fork()
        .nativeUpdate(
          Subscription,
          { id: sub.id },
          { tier: 'professional', amountCents: 4900, stripePriceId: 'price_pro_m' },
        );
      expect((await patch({ tier: 'enterprise', when: 'now' })).status).toBe(200);
      expect(priceChanges()).toEqual(['price_ent_m', 'price_pro_m', 'price_ent_m']);

      // Another key is another change.
      expect((await patch({ tier: 'professional', when: 'now' }, 'retry-key-2')).status).toBe(200);
      expect(priceChanges()).toEqual(['price_ent_m', 'price_pro_m', 'price_ent_m', 'price_pro_m']);
      expect(await handle.query(subscriptionState)).toMatchObject({
        tier: 'professional',
        amountCents: 4900,
      });

      // Keys that are no keys are refused, naming the header, before anything changes. A tab is the one
      // control character Node's HTTP parser lets through to the app; it drops the connection on the rest.
      for (const key of ['tab\tinside', 'k'.repeat(10_240), 'clé']) {
        const res = await patch({ tier: 'enterprise', when: 'now' }, key);
        expect([key.slice(0, 12), res.status, res.body.error?.code, res.body.error?.details?.field]).toEqual([
          key.slice(0, 12),
          400,
          'invalid_request',
          'headers.idempotency-key',
        ]);
      }
      expect(priceChanges()).toHaveLength(4);
    });
  });

  it('lets editors neither read nor change subscriptions, and refuses an empty change', async () => {
    const book = bookWriter(db.orm.em.fork());
    const c = book.customer({ email: 'finn@patch.example' });
    book.subscription(c, { tier: 'starter', amountCents: 1900, status: 'active', createdAt: new Date() });
    await book.flush();
    for (const path of ['/api/v1/admin/subscriptions/finn@patch.example', '/api/v1/admin/billing/customers'])
      expect([path, (await api.request('GET', path, { token: editor })).status]).toEqual([path, 403]);
    const denied = await api.request('PATCH', '/api/v1/admin/subscriptions/finn@patch.example', {
      token: editor,
      body: { status: 'paused' },
    });
    expect(denied.status).toBe(403);
    const empty = await api.request('PATCH', '/api/v1/admin/subscriptions/finn@patch.example', {
      token: admin,
      body: {},
    });
    expect(empty.status).toBe(400);
    const em = db.orm.em.fork();
    expect(await em.count(AuditEntry, { entityType: 'subscription', actorEmail: 'ed@example.com' })).toBe(0);
  });

  it('pages through the audit log newest first, serving each entry once', async () => {
    const em = db.orm.em.fork();
    const start = Date.now() - DAY;
    const written = Array.from({ length: 5 }, (_, i) =>
      recordAudit(em, {
        id: newId('aud', start + i * 60_000),
        actor: { sub: 'admin-1', email: 'boss@example.com' },
        action: 'plan.update',
        entityType: 'plan',
        entityId: 'plan_audit_pages',
        after: { step: i },
      }),
    );
    await em.flush();

    const seen: string[] = [];
    let cursor: string | null = null;
    for (let round = 0; round === 0 || (cursor && round < 10); round++) {
      const q: string = `entity_id=plan_audit_pages&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await api.request('GET', `/api/v1/admin/audit-log?${q}`, { token: admin });
      expect(page.status).toBe(200);
      expect(page.body.total).toBe(5);
      seen.push(...page.body.entries.map((e: { id: string }) => e.id));
      cursor = page.body.next_cursor;
    }
    expect(seen).toEqual(written.map((e) => e.id).reverse());
  });
});
