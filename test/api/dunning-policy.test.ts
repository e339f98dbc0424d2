import { AuditEntry } from '../../db/entities';
import { readDunningPolicy } from '../../db/dunning-policy';
import { DEFAULT_DUNNING_POLICY } from '../../domain/dunning-policy';
import { startTestApi, type TestApi } from '../helpers/api';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { openTestDatabase } from '../helpers/db';

const PATH = '/api/v1/admin/billing/dunning-policy';

describe.each(['sqlite', 'postgresql'] as const)('the dunning policy an admin sets (%s)', (dialect) => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let idp: TestIdp;
  let api: TestApi;
  beforeAll(async () => {
    [db, idp] = await Promise.all([openTestDatabase(dialect), startTestIdp()]);
    api = await startTestApi({ orm: db.orm, env: { OIDC_ISSUER: idp.issuer, OIDC_JWKS_URL: idp.jwksUrl } });
  });
  afterAll(async () => {
    await api?.stop();
    await Promise.all([db?.close(), idp?.stop()]);
  });

  it('starts at the default, stores a valid change with an audit entry, and is what new runs read', async () => {
    const admin = await idp.token({ sub: 'dun-admin', email: 'dun-admin@example.com', roles: ['admin'] });
    const first = await api.request('GET', PATH, { token: admin });
    expect(first.body).toMatchObject({
      retry_days: [1, 3, 5, 7],
      suspend_after_days: 3,
      final_action: 'cancel',
      is_default: true,
    });

    const body = { retry_days: [2, 4, 9], suspend_after_days: 5, final_action: 'mark_unpaid' };
    const put = await api.request('PUT', PATH, { token: admin, body });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ ...body, is_default: false, updated_by: 'dun-admin' });
    expect((await api.request('GET', PATH, { token: admin })).body).toMatchObject(body);
    // What the worker's activity reads when a dunning run starts.
    expect((await readDunningPolicy(db.orm.em.fork())).policy).toEqual({
      retryDays: [2, 4, 9],
      suspendAfterDays: 5,
      finalAction: 'mark_unpaid',
    });
    const audit = await db.orm.em.fork().find(AuditEntry, { action: 'dunning_policy.update' });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actorId: 'dun-admin',
      before: DEFAULT_DUNNING_POLICY,
      after: { retryDays: [2, 4, 9] },
    });
  });

  it('refuses a policy that does not validate, and anyone but an admin', async () => {
    const admin = await idp.token({ email: 'dun-admin2@example.com', roles: ['admin'] });
    const editor = await idp.token({ email: 'dun-editor@example.com', roles: ['editor'] });
    const bad: [unknown, number, string][] = [
      [{ retry_days: [3, 1], suspend_after_days: 1, final_action: 'cancel' }, 400, 'invalid_dunning_policy'],
      [{ retry_days: [1, 90], suspend_after_days: 1, final_action: 'cancel' }, 400, 'validation_failed'],
      [{ retry_days: [], suspend_after_days: 1, final_action: 'cancel' }, 400, 'validation_failed'],
      [{ retry_days: [1], suspend_after_days: 1, final_action: 'refund' }, 400, 'validation_failed'],
      [{ retry_days: [1], suspend_after_days: 1 }, 400, 'validation_failed'],
    ];
    for (const [body, status, code] of bad) {
      const res = await api.request('PUT', PATH, { token: admin, body });
      expect({ body, status: res.status, code: res.body.error?.code }).toEqual({ body, status, code });
    }
    const valid = { retry_days: [1], suspend_after_days: 1, final_action: 'cancel' };
    expect((await api.request('PUT', PATH, { token: editor, body: valid })).status).toBe(403);
    expect((await api.request('GET', PATH, { token: editor })).status).toBe(403);
    expect((await api.request('PUT', PATH, { body: valid })).status).toBe(401);
  });
});
