import { recordAudit } from '../../db/audit';
import { AuditEntry, WebhookEndpoint } from '../../db/entities';
import { newId } from '../../db/ids';
import type { Dialect } from '../../db/orm';
import { WEBHOOK_EVENT_TYPES } from '../../domain/webhook-endpoints';
import { openEndpointSecret } from '../../integrations/webhooks/settings';
import { startTestApi, type TestApi } from '../helpers/api';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { openTestDatabase } from '../helpers/db';

/** Managing outgoing webhook endpoints through the admin API, and what it refuses. */
describe.each<Dialect>(['sqlite', 'postgresql'])('webhook endpoints on %s', (dialect) => {
  let idp: TestIdp;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let api: TestApi;
  let admin: string;

  beforeAll(async () => {
    [idp, db] = await Promise.all([startTestIdp(), openTestDatabase(dialect)]);
    api = await startTestApi({ orm: db.orm, env: { OIDC_ISSUER: idp.issuer, OIDC_JWKS_URL: idp.jwksUrl } });
    admin = await idp.token({ sub: 'admin-hooks', email: 'boss@example.com', roles: ['admin'] });
  });
  afterAll(async () => {
    await api?.stop();
    await Promise.all([idp?.stop(), db?.close()]);
  });

  const call = (method: string, path: string, body?: unknown, token = admin) =>
    api.request(method, `/api/v1/admin/billing/webhook-endpoints${path}`, { token, body });
  const good = { url: 'https://hooks.example.com/billing', event_types: ['invoice.paid'] };

  it('adds, lists, changes, rotates and removes an endpoint, each audited, the secret shown only when made', async () => {
    const made = await call('POST', '', { ...good, description: 'ERP' });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({
      url: good.url,
      description: 'ERP',
      event_types: ['invoice.paid'],
      enabled: true,
      pending_deliveries: 0,
      failed_deliveries: 0,
    });
    const id = made.body.id as string;
    // Stored sealed under the keyring and bound to this endpoint: it opens to what was answered.
    const row = await db.orm.em.fork().findOneOrFail(WebhookEndpoint, { id });
    expect(row.secretCiphertext).not.toContain(made.body.secret.slice(6, 16));
    expect(openEndpointSecret(api.byok.keyring, row)).toBe(made.body.secret);
    expect(() => openEndpointSecret(api.byok.keyring, { ...row, id: newId('whe') })).toThrow(
      /cannot be decrypted/,
    );

    const list = await call('GET', '');
    expect(list.body.event_types).toEqual([...WEBHOOK_EVENT_TYPES]);
    expect(list.body.endpoints.find((e: { id: string }) => e.id === id)).not.toHaveProperty('secret');

    const changed = await call('PATCH', `/${id}`, {
      event_types: ['invoice.paid', 'charge.refunded'],
      enabled: false,
    });
    expect(changed.body).toMatchObject({ enabled: false, event_types: ['invoice.paid', 'charge.refunded'] });
    expect(changed.body.disabled_reason).toBe('turned off by boss@example.com');
    const back = await call('PATCH', `/${id}`, { enabled: true });
    expect(back.body).toMatchObject({ enabled: true, disabled_at: null, disabled_reason: null });

    const rotated = await call('POST', `/${id}/rotate-secret`);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(made.body.secret);
    const after = await db.orm.em.fork().findOneOrFail(WebhookEndpoint, { id });
    expect(openEndpointSecret(api.byok.keyring, after)).toBe(rotated.body.secret);

    expect((await call('DELETE', `/${id}`)).body).toEqual({ id, deleted: true });
    expect((await call('GET', `/${id}`)).status).toBe(404);
    const audit = await db.orm.em
      .fork()
      .find(AuditEntry, { entityId: id }, { orderBy: { createdAt: 'asc' } });
    expect(audit.map((a) => a.action).sort()).toEqual(
      [
        'webhook_endpoint.create',
        'webhook_endpoint.delete',
        'webhook_endpoint.rotate_secret',
        'webhook_endpoint.update',
        'webhook_endpoint.update',
      ].sort(),
    );
    expect(JSON.stringify(audit)).not.toContain('whsec_');
  });

  it('shows an address whole only on the endpoint itself: the audit log, its answers and its CSV export have the secret parts redacted', async () => {
    // Slack-style: the receiver's secret is the path after /services/, and here in the query too.
    const first = 'https://hooks.slack.com/services/T0SECRETA/B0SECRETB/SeCrEtToKeNc?token=SECRETD#SECRETE';
    const second = 'https://hooks.slack.com/services/T0SECRETA/B0SECRETB/SeCrEtToKeNf';
    const made = await call('POST', '', { ...good, url: first });
    expect(made.status).toBe(201);
    const id = made.body.id as string;
    expect(made.body.url).toBe(first);
    expect((await call('PATCH', `/${id}`, { url: second })).body.url).toBe(second);
    expect((await call('GET', `/${id}`)).body.url).toBe(second);
    await call('DELETE', `/${id}`);
    // An entry written before addresses were redacted when recorded is redacted when read.
    const em = db.orm.em.fork();
    const old = newId('whe');
    recordAudit(em, {
      actor: { sub: 'admin-hooks', email: 'boss@example.com' },
      action: 'webhook_endpoint.create',
      entityType: 'webhook_endpoint',
      entityId: old,
      after: { url: second, enabled: true },
    });
    await em.flush();

    const secret = /SECRET|SeCrEt/i;
    const stored = await db.orm.em.fork().find(AuditEntry, { entityId: id }, { orderBy: { id: 'asc' } });
    expect(stored).toHaveLength(3);
    expect(JSON.stringify(stored)).not.toMatch(secret);
    expect(
      stored.map((a) => [a.action, (a.before as { url?: string })?.url, (a.after as { url?: string })?.url]),
    ).toEqual([
      ['webhook_endpoint.create', undefined, 'https://hooks.slack.com/services/[redacted]?[redacted]'],
      [
        'webhook_endpoint.update',
        'https://hooks.slack.com/services/[redacted]?[redacted]',
        'https://hooks.slack.com/services/[redacted]',
      ],
      ['webhook_endpoint.delete', 'https://hooks.slack.com/services/[redacted]', undefined],
    ]);
    for (const entity of [id, old]) {
      const listed = await api.request('GET', `/api/v1/admin/audit-log?entity_id=${entity}`, {
        token: admin,
      });
      expect(listed.status).toBe(200);
      expect(listed.body.entries.length).toBeGreaterThan(0);
      expect(JSON.stringify(listed.body)).toContain('hooks.slack.com/services/[redacted]');
      expect(JSON.stringify(listed.body)).not.toMatch(secret);
      const csv = await api.raw(`/api/v1/admin/audit-log/export?entity_id=${entity}`, admin);
      expect(csv.status).toBe(200);
      const text = await csv.text();
      expect(text).toContain('hooks.slack.com/services/[redacted]');
      expect(text).not.toMatch(secret);
    }
  });

  it.each([
    ['a loopback address', { ...good, url: 'http://127.0.0.1:9000/hook' }, 'webhook_url_private', 'body.url'],
    [
      'the cloud metadata address',
      { ...good, url: 'http://169.254.169.254/' },
      'webhook_url_private',
      'body.url',
    ],
    ['localhost by name', { ...good, url: 'https://localhost/hook' }, 'webhook_url_private', 'body.url'],
    ['IPv6 loopback', { ...good, url: 'https://[::1]/hook' }, 'webhook_url_private', 'body.url'],
    ['another scheme', { ...good, url: 'javascript:alert(1)' }, 'webhook_url_invalid', 'body.url'],
    ['a file URL', { ...good, url: 'file:///etc/passwd' }, 'webhook_url_invalid', 'body.url'],
    [
      'credentials in the URL',
      { ...good, url: 'https://a:b@hooks.example.com/' },
      'webhook_url_invalid',
      'body.url',
    ],
    ['a control character', { ...good, url: 'https://hooks.example.com/\u0007' }, 'validation_failed', 'url'],
    [
      'a huge URL',
      { ...good, url: `https://hooks.example.com/${'a'.repeat(5000)}` },
      'validation_failed',
      'url',
    ],
    [
      'an unknown event type',
      { ...good, event_types: ['invoice.stolen'] },
      'validation_failed',
      'event_types',
    ],
    ['no event type', { ...good, event_types: [] }, 'validation_failed', 'event_types'],
    [
      'an event type twice',
      { ...good, event_types: ['invoice.paid', 'invoice.paid'] },
      'validation_failed',
      'event_types',
    ],
    ['event types as a string', { ...good, event_types: 'invoice.paid' }, 'validation_failed', 'event_types'],
    ['a field of its own', { ...good, secret: 'whsec_mine' }, 'validation_failed', 'body'],
    ['a number for a URL', { ...good, url: 12 }, 'validation_failed', 'url'],
    [
      'an over-long description',
      { ...good, description: 'x'.repeat(201) },
      'validation_failed',
      'description',
    ],
  ])('refuses %s, naming the field', async (_name, body, code, field) => {
    const r = await call('POST', '', body);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe(code);
    expect(JSON.stringify(r.body.error)).toContain(field);
  });

  it('refuses a private address on a change too, and leaves the endpoint as it was', async () => {
    const made = await call('POST', '', good);
    const r = await call('PATCH', `/${made.body.id}`, { url: 'http://10.0.0.1/' });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('webhook_url_private');
    expect((await call('GET', `/${made.body.id}`)).body.url).toBe(good.url);
  });

  it('answers 404 for an endpoint or delivery that is not there and 400 for a malformed id', async () => {
    expect((await call('GET', `/${newId('whe')}`)).status).toBe(404);
    expect((await call('PATCH', `/${newId('whe')}`, { enabled: false })).status).toBe(404);
    expect((await call('DELETE', `/${newId('whe')}`)).status).toBe(404);
    expect((await call('GET', `/${newId('whe')}/deliveries`)).status).toBe(404);
    expect((await call('GET', '/whe_../../etc')).status).toBe(400);
    expect((await call('GET', `/${newId('cust')}`)).status).toBe(400);
    const delivery = await api.request('GET', `/api/v1/admin/billing/webhook-deliveries/${newId('whd')}`, {
      token: admin,
    });
    expect(delivery.status).toBe(404);
  });

  it('is for admins only: a customer or the gateway is refused and changes nothing', async () => {
    const customer = await idp.token({ sub: 'kc-someone', email: 'someone@example.com' });
    const gateway = await idp.token({ sub: 'gw', roles: ['billing-gateway'] });
    for (const token of [customer, gateway]) {
      expect((await call('GET', '', undefined, token)).status).toBe(403);
      expect((await call('POST', '', good, token)).status).toBe(403);
    }
    const before = await db.orm.em.fork().count(WebhookEndpoint, {});
    expect((await call('POST', '', good, 'not-a-token')).status).toBe(401);
    expect(await db.orm.em.fork().count(WebhookEndpoint, {})).toBe(before);
  });
});
