import type { TestResponse } from '../helpers/api';
import { syncCatalog } from '../../integrations/stripe/catalog-sync';
import { AuditEntry, PlanMigration } from '../../db/entities';
import { waitUntil } from '../helpers/eventually';
import { startFullStack, type FullStack } from '../helpers/full-stack';
import { migrateAndWait, subscribeTo } from '../helpers/plan-migration';
import { expectRefusals } from '../helpers/refusals';
import { workflowIds } from '../../workflows/ids';
import { workflowType } from '../../services/temporal/workflow-type';

describe('plan migration as a durable run', () => {
  let stack: FullStack;
  let admin: string;
  const code = 'grand-mig';
  const subscribers: { id: string; getSub: () => Promise<TestResponse> }[] = [];

  beforeAll(async () => {
    stack = await startFullStack({ taskQueue: 'plan-migration' });
    admin = await stack.idp.token({ sub: 'admin-mig', email: 'admin-mig@example.com', roles: ['admin'] });
    const created = await adminCall('POST', '/subscriptions/plans', {
      id: code,
      display_name: 'Grandfathered',
      price_monthly_cents: 1500,
      services: ['chat'],
    });
    expect(created.status).toBe(201);
    await syncCatalog(stack.stripe, stack.db.orm);
    for (const name of ['mig-a', 'mig-b', 'mig-c']) subscribers.push(await subscribeTo(stack, name, code));
    const v2 = await adminCall('PUT', `/subscriptions/plans/${code}`, { price_monthly_cents: 2000 });
    expect(v2.body).toMatchObject({ version: 2, grandfathered_subscribers: 3 });
    await syncCatalog(stack.stripe, stack.db.orm);
  }, 180_000);
  afterAll(() => stack?.stop());

  function adminCall(method: string, path: string, body?: unknown) {
    return stack.api.request(method, `/api/v1${path}`, { token: admin, body });
  }

  it('moves every subscriber of an older version through its workflow, reports each, and audits start and finish', async () => {
    const report = await migrateAndWait(adminCall, code, { when: 'period_end' });
    expect(report).toMatchObject({
      plan_id: code,
      version: 2,
      when: 'period_end',
      status: 'completed',
      started_by: 'admin-mig@example.com',
      progress: { candidates: 3, moved: 3, failed: 0, percent: 100 },
      next_cursor: null,
    });
    expect(report.finished_at).toEqual(expect.any(String));
    expect(report.subscriptions).toEqual(
      subscribers
        .map((s) => s.id)
        .sort()
        .map((id) => ({
          subscription_id: id,
          from_version: 1,
          outcome: 'moved',
          result: 'scheduled',
          reason: null,
          amount_cents: 1500,
          new_amount_cents: 2000,
          rehearsal: null,
          as_rehearsed: null,
        })),
    );
    // Each subscription's workflow holds the change for its period end.
    for (const s of subscribers) {
      const pending = await waitUntil(s.getSub, (r) => r.body?.pending_change != null, 'pending change');
      expect(pending.body.pending_change).toMatchObject({ tier: code, amount_cents: 2000 });
      expect(pending.body.amount_cents).toBe(1500);
    }

    // The report pages by subscription id, and filters by outcome.
    const first = await adminCall('GET', `/admin/plan-migrations/${report.migration_id}?limit=2`);
    expect(first.body.subscriptions).toHaveLength(2);
    expect(first.body.next_cursor).toBe(first.body.subscriptions[1].subscription_id);
    const rest = await adminCall(
      'GET',
      `/admin/plan-migrations/${report.migration_id}?limit=2&after=${first.body.next_cursor}`,
    );
    expect(rest.body.subscriptions.map((s: { subscription_id: string }) => s.subscription_id)).toEqual([
      report.subscriptions[2].subscription_id,
    ]);
    expect(rest.body.next_cursor).toBeNull();
    const failed = await adminCall('GET', `/admin/plan-migrations/${report.migration_id}?outcome=failed`);
    expect(failed.body).toMatchObject({ progress: { failed: 0 }, subscriptions: [] });

    const audit = await stack.db.orm.em
      .fork()
      .find(
        AuditEntry,
        { entityId: code, action: { $like: 'plan.migrate%' } },
        { orderBy: { action: 'asc' } },
      );
    expect(audit.map((a) => [a.action, a.after])).toEqual([
      ['plan.migrate', { migration_id: report.migration_id, version: 2, when: 'period_end', candidates: 3 }],
      ['plan.migrate.finish', { migration_id: report.migration_id, version: 2, moved: 3, failed: 0 }],
    ]);
  }, 120_000);

  it('runs one migration of a plan at a time: of two asked at once, one starts and the other is refused and not kept', async () => {
    const before = await stack.db.orm.em.fork().count(PlanMigration, { planCode: code });
    const both = await Promise.all([
      adminCall('POST', `/subscriptions/plans/${code}/migrate`, { when: 'period_end' }),
      adminCall('POST', `/subscriptions/plans/${code}/migrate`, { when: 'period_end' }),
    ]);
    expect(both.map((r) => r.status).sort()).toEqual([202, 409]);
    const refused = both.find((r) => r.status === 409)!;
    expect(refused.body.error).toMatchObject({
      code: 'migration_in_progress',
      details: { field: 'plan_id' },
    });
    const started = both.find((r) => r.status === 202)!;
    expect(started.body).toMatchObject({ status: 'running', progress: { candidates: 3 }, subscriptions: [] });
    expect(await stack.db.orm.em.fork().count(PlanMigration, { planCode: code })).toBe(before + 1);

    // Moving a subscription again changes nothing twice: its workflow keeps the one pending change.
    const done = await waitUntil(
      () => adminCall('GET', `/admin/plan-migrations/${started.body.migration_id}`),
      (r) => r.body?.status === 'completed',
      'the second migration',
      60_000,
    );
    expect(done.body.progress).toMatchObject({ candidates: 3, percent: 100 });
    for (const s of subscribers) {
      expect((await s.getSub()).body.pending_change).toMatchObject({ tier: code, amount_cents: 2000 });
    }
  }, 120_000);

  it('starts the next migration once the last one closes, when it shows completed before its workflow has closed', async () => {
    // A workflow holding the plan's migration id on a queue no worker reads stands for a run that has
    // recorded its end and not yet closed; no migration row of the plan is open.
    const workflowId = workflowIds.planMigration(code);
    // The earlier tests' last run may still be closing.
    await stack.env.client.workflow
      .getHandle(workflowId)
      .result()
      .catch(() => undefined);
    const closing = await stack.env.client.workflow.start(workflowType('planMigrationWorkflow'), {
      workflowId,
      taskQueue: 'plan-migration-nobody-home',
      args: [{ migrationId: 'pmig_closing', planCode: code, toVersion: 2, when: 'period_end' }],
    });
    const asked = adminCall('POST', `/subscriptions/plans/${code}/migrate`, { when: 'period_end' });
    await new Promise((r) => setTimeout(r, 1_000));
    await closing.terminate('the last run closing');
    const started = await asked;
    expect(started.status).toBe(202);
    await waitUntil(
      () => adminCall('GET', `/admin/plan-migrations/${started.body.migration_id}`),
      (r) => r.body?.status === 'completed',
      'the migration after the close',
      60_000,
    );

    // Its workflow closes a moment after it shows completed.
    await stack.env.client.workflow.getHandle(workflowId).result();

    // A run still open in the engine's records is running indeed: refused at once, nothing kept.
    const blocker = await stack.env.client.workflow.start(workflowType('planMigrationWorkflow'), {
      workflowId,
      taskQueue: 'plan-migration-nobody-home',
      args: [{ migrationId: 'pmig_open', planCode: code, toVersion: 2, when: 'period_end' }],
    });
    const em = stack.db.orm.em.fork();
    em.create(PlanMigration, {
      id: 'pmig_open',
      kind: 'migration',
      planCode: code,
      toVersion: 2,
      when: 'period_end',
      status: 'running',
      candidates: 0,
      startedById: 'admin-mig',
    });
    await em.flush();
    const before = await em.count(PlanMigration, { planCode: code });
    try {
      const refused = await adminCall('POST', `/subscriptions/plans/${code}/migrate`, { when: 'period_end' });
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('migration_in_progress');
      expect(await em.count(PlanMigration, { planCode: code })).toBe(before);
    } finally {
      await blocker.terminate('test over');
      await em.nativeDelete(PlanMigration, { id: 'pmig_open' });
    }
  }, 120_000);

  it('refuses a malformed or unknown migration, a bad page, a bad body and a customer, naming the field', async () => {
    const get = (path: string, token = admin) => stack.api.request('GET', `/api/v1${path}`, { token });
    const cases: [string, number, string, string | undefined][] = [
      ['/admin/plan-migrations/x', 400, 'validation_failed', 'params.migration_id'],
      ['/admin/plan-migrations/pmig_%00', 400, 'validation_failed', 'params.migration_id'],
      [`/admin/plan-migrations/pmig_${'a'.repeat(40)}`, 400, 'validation_failed', 'params.migration_id'],
      ['/admin/plan-migrations/pmig_00000000000000000000', 404, 'migration_not_found', undefined],
      ['/admin/plan-migrations/pmig_0?limit=0', 400, 'validation_failed', 'query.limit'],
      ['/admin/plan-migrations/pmig_0?limit=501', 400, 'validation_failed', 'query.limit'],
      ['/admin/plan-migrations/pmig_0?limit=1e400', 400, 'validation_failed', 'query.limit'],
      ['/admin/plan-migrations/pmig_0?outcome=skipped', 400, 'validation_failed', 'query.outcome'],
      ['/admin/plan-migrations/pmig_0?after=a%20b', 400, 'validation_failed', 'query.after'],
      ['/admin/plan-migrations/pmig_0?extra=1', 400, 'validation_failed', undefined],
    ];
    for (const [path, status, errorCode, field] of cases) {
      const r = await get(path);
      expect({
        path,
        status: r.status,
        code: r.body?.error?.code,
        field: field && r.body?.error?.details?.field,
      }).toEqual({ path, status, code: errorCode, field });
    }
    const customer = await stack.idp.token({ sub: 'kc-mig-a', email: 'mig-a@example.com' });
    expect((await get('/admin/plan-migrations/pmig_0', customer)).status).toBe(403);
    expect(
      (
        await stack.api.request('POST', `/api/v1/subscriptions/plans/${code}/migrate`, {
          token: customer,
          body: {},
        })
      ).status,
    ).toBe(403);
    await expectRefusals(
      (body) => adminCall('POST', `/subscriptions/plans/${code}/migrate`, body),
      [
        [{ when: 'later' }, 400, 'validation_failed', 'body.when'],
        [{ when: 1 }, 400, 'validation_failed', 'body.when'],
        [{ when: 'now', extra: true }, 400, 'validation_failed', undefined],
      ],
    );
    const unknown = await adminCall('POST', '/subscriptions/plans/no-such-plan/migrate', {});
    expect({ status: unknown.status, code: unknown.body.error?.code }).toEqual({
      status: 404,
      code: 'plan_not_found',
    });
  }, 60_000);
});
