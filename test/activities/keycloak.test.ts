import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { createLogger } from '../../config/logger';
import { createKeycloakActivities, type SubscriptionAttributes } from '../../activities/keycloak';
import { ensureKeycloakUserProfile } from '../../integrations/keycloak/user-profile';
import { setupKeycloakRealm } from '../../services/setup/set-up-keycloak-realm';
import { Customer, Plan, Subscription } from '../../db/entities';
import { newId } from '../../db/ids';
import { openTestDatabase } from '../helpers/db';
import {
  KEYCLOAK_START_TIMEOUT_MS,
  startTestKeycloak,
  type TestKeycloak,
  type TestRealm,
} from '../helpers/keycloak';
import { startDevServer, TEST_NAMESPACE } from '../helpers/temporal';

const logger = createLogger('silent', 'test');

const proAttributes: SubscriptionAttributes = {
  subscription_tier: 'pro',
  subscription_status: 'active',
  stripe_customer_id: 'cus_123',
  stripe_subscription_id: 'sub_456',
  subscription_start_date: '2025-01-01T00:00:00.000Z',
  subscription_end_date: null,
};

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the activity to fail');
}

/** A loopback port with nothing listening on it. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

type TestDb = Awaited<ReturnType<typeof openTestDatabase>>;

/** The customer record a person's first sign-in creates: their token's sub is their Keycloak user id. */
async function customerOf(db: TestDb, user: { id: string; email: string }): Promise<string> {
  const em = db.orm.em.fork();
  const customer = em.create(Customer, {
    id: newId('cust'),
    userId: user.id,
    email: user.email.toLowerCase(),
    roles: [],
  });
  await em.flush();
  return customer.id;
}

describe('syncKeycloakUser against a real Keycloak', () => {
  let keycloak: TestKeycloak;
  let realm: TestRealm;
  let db: TestDb;
  /** The sync's input as the subscription workflow builds it: the customer, and their email. */
  const inputFor = async (user: { id: string; email: string }, attributes = proAttributes) => ({
    customerId: await customerOf(db, user),
    email: user.email,
    attributes,
  });

  beforeAll(async () => {
    [keycloak, db] = await Promise.all([startTestKeycloak(), openTestDatabase('sqlite')]);
    realm = await keycloak.createRealm();
  }, KEYCLOAK_START_TIMEOUT_MS);

  afterAll(async () => {
    await Promise.all([keycloak?.stop(), db?.close()]);
  });

  it('writes the subscription attributes onto the user with that email', async () => {
    const user = await realm.createUser();
    const { syncKeycloakUser } = createKeycloakActivities({ orm: db.orm, logger, keycloak: realm.settings });

    const result = await syncKeycloakUser(await inputFor(user));

    expect(result).toEqual({ userId: user.id, changed: true });
    const stored = await realm.getUser(user.id);
    expect(stored.attributes).toMatchObject({
      subscription_tier: ['pro'],
      subscription_status: ['active'],
      stripe_customer_id: ['cus_123'],
      stripe_subscription_id: ['sub_456'],
      subscription_start_date: ['2025-01-01T00:00:00.000Z'],
    });
    expect(stored.attributes).not.toHaveProperty('subscription_end_date');
  });

  it('leaves the access of a customer’s newer subscription alone when an ended one’s sync lands after it', async () => {
    const user = await realm.createUser();
    const { syncKeycloakUser } = createKeycloakActivities({ orm: db.orm, logger, keycloak: realm.settings });
    const input = await inputFor(user);
    // The customer's second subscription is live and has written their access...
    const em = db.orm.em.fork();
    const row = (id: string, status: 'active' | 'canceled', stripeSubscriptionId: string, createdAt: Date) =>
      em.create(Subscription, {
        id,
        customer: em.getReference(Customer, input.customerId),
        plan: em.getReference(Plan, 'plan_starter_v1'),
        tier: 'starter',
        status,
        amountCents: 1900,
        stripeSubscriptionId,
        createdAt,
      });
    row(newId('subs'), 'canceled', 'sub_first', new Date('2026-01-01T00:00:00.000Z'));
    row(newId('subs'), 'active', 'sub_second', new Date('2026-03-01T00:00:00.000Z'));
    await em.flush();
    const second = { ...proAttributes, subscription_tier: 'starter', stripe_subscription_id: 'sub_second' };
    await syncKeycloakUser({ ...input, attributes: second });
    // ...when the first's end, retried through an outage, finally lands.
    const ended = { ...proAttributes, subscription_status: 'canceled', stripe_subscription_id: 'sub_first' };
    expect(await syncKeycloakUser({ ...input, attributes: ended })).toEqual({
      userId: user.id,
      changed: false,
      skipped: 'superseded',
    });
    expect((await realm.getUser(user.id)).attributes).toMatchObject({
      subscription_status: ['active'],
      subscription_tier: ['starter'],
      stripe_subscription_id: ['sub_second'],
    });
    // The live one's own changes still go through.
    const canceled = { ...second, subscription_status: 'canceled' };
    expect(await syncKeycloakUser({ ...input, attributes: canceled })).toEqual({
      userId: user.id,
      changed: true,
    });
  });

  it("keeps the user's other attributes and profile fields", async () => {
    const user = await realm.createUser({ department: ['ops'] });
    const { syncKeycloakUser } = createKeycloakActivities({ orm: db.orm, logger, keycloak: realm.settings });

    await syncKeycloakUser(await inputFor(user));

    const stored = await realm.getUser(user.id);
    expect(stored.attributes?.department).toEqual(['ops']);
    expect(stored).toMatchObject({
      email: user.email,
      firstName: 'Ada',
      lastName: 'Lovelace',
      enabled: true,
    });
  });

  it('reports no change when the same attributes are applied twice', async () => {
    const user = await realm.createUser();
    const { syncKeycloakUser } = createKeycloakActivities({ orm: db.orm, logger, keycloak: realm.settings });

    const input = await inputFor(user);
    const first = await syncKeycloakUser(input);
    const second = await syncKeycloakUser(input);

    expect(first.changed).toBe(true);
    expect(second).toEqual({ userId: user.id, changed: false });
  });

  it('replaces changed values and removes the ones that became null', async () => {
    const user = await realm.createUser();
    const { syncKeycloakUser } = createKeycloakActivities({ orm: db.orm, logger, keycloak: realm.settings });
    const input = await inputFor(user);
    await syncKeycloakUser(input);

    const canceled = {
      ...proAttributes,
      subscription_tier: 'free',
      subscription_status: 'canceled',
      stripe_subscription_id: null,
      subscription_end_date: '2025-02-01T00:00:00.000Z',
    };
    const result = await syncKeycloakUser({ ...input, attributes: canceled });

    expect(result.changed).toBe(true);
    const stored = await realm.getUser(user.id);
    expect(stored.attributes).toMatchObject({
      subscription_tier: ['free'],
      subscription_status: ['canceled'],
      subscription_end_date: ['2025-02-01T00:00:00.000Z'],
      department: ['ops'],
    });
    expect(stored.attributes).not.toHaveProperty('stripe_subscription_id');
  });

  it('finds the user whatever the case of the email it is given', async () => {
    const user = await realm.createUser();
    const { syncKeycloakUser } = createKeycloakActivities({ orm: db.orm, logger, keycloak: realm.settings });

    // A sync scheduled before the workflow passed the customer names them by the email of their record.
    await customerOf(db, user);
    const result = await syncKeycloakUser({ email: user.email.toUpperCase(), attributes: proAttributes });

    expect(result.userId).toBe(user.id);
  });

  it("writes to the customer's own user, never to another user who registered the customer's email", async () => {
    const owner = await realm.createUser();
    const squatter = await realm.createUser(undefined, `victim-${randomUUID().slice(0, 8)}@example.com`);
    // The customer's record carries an address someone else has since registered (unverified) in Keycloak.
    const customerId = await customerOf(db, { id: owner.id, email: squatter.email });
    const { syncKeycloakUser } = createKeycloakActivities({ orm: db.orm, logger, keycloak: realm.settings });

    const result = await syncKeycloakUser({ customerId, email: squatter.email, attributes: proAttributes });

    expect(result).toEqual({ userId: owner.id, changed: true });
    expect((await realm.getUser(owner.id)).attributes?.subscription_tier).toEqual(['pro']);
    expect((await realm.getUser(squatter.id)).attributes).not.toHaveProperty('subscription_tier');
  });

  it('skips a customer whose user id is no Keycloak user, even when a Keycloak user has their email', async () => {
    const { syncKeycloakUser } = createKeycloakActivities({ orm: db.orm, logger, keycloak: realm.settings });
    // A subject from the development key or another identity provider, and one that names nobody here.
    for (const userIdOf of [(email: string) => `local-${email}`, () => randomUUID()]) {
      const holder = await realm.createUser();
      const customerId = await customerOf(db, { id: userIdOf(holder.email), email: holder.email });

      const result = await syncKeycloakUser({ customerId, email: holder.email, attributes: proAttributes });

      expect(result).toEqual({ userId: null, changed: false, skipped: 'user_not_found' });
      expect((await realm.getUser(holder.id)).attributes).not.toHaveProperty('subscription_tier');
    }
  });

  it('treats an email no user has as nothing to do, not as an error', async () => {
    await realm.createUser(); // a realm with users, none of them this one
    const { syncKeycloakUser } = createKeycloakActivities({ orm: db.orm, logger, keycloak: realm.settings });

    const result = await syncKeycloakUser({ email: 'nobody-here@example.com', attributes: proAttributes });

    expect(result).toMatchObject({ userId: null, changed: false, skipped: 'user_not_found' });
  });

  it('asks for an access token once and reuses it across syncs', async () => {
    const users = [await realm.createUser(), await realm.createUser()];
    const { syncKeycloakUser } = createKeycloakActivities({ orm: db.orm, logger, keycloak: realm.settings });
    const fetchSpy = jest.spyOn(globalThis, 'fetch');
    try {
      for (const user of users) await syncKeycloakUser(await inputFor(user));
      const tokenRequests = fetchSpy.mock.calls.filter(([input]) => String(input).endsWith('/token'));
      expect(tokenRequests).toHaveLength(1);
    } finally {
      fetchSpy.mockRestore();
    }
  });

  it('fails retryably while Keycloak cannot be reached, so Temporal retries until it is back', async () => {
    const settings = { ...realm.settings, url: `http://127.0.0.1:${await closedPort()}` };
    const { syncKeycloakUser } = createKeycloakActivities({ orm: db.orm, logger, keycloak: settings });

    const input = await inputFor({ id: randomUUID(), email: `ada-${randomUUID()}@example.com` });
    const err = await failureOf(syncKeycloakUser(input));

    // fetch's own error (from outside jest's realm, hence no instanceof): anything but an ApplicationFailure
    // is retried by Temporal.
    expect(err).not.toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ message: 'fetch failed', cause: { code: 'ECONNREFUSED' } });
  });

  it('fails non-retryably as KeycloakMisconfigured when the client secret is wrong', async () => {
    const user = await realm.createUser();
    const settings = { ...realm.settings, clientSecret: 'not-the-secret' };
    const { syncKeycloakUser } = createKeycloakActivities({ orm: db.orm, logger, keycloak: settings });

    const err = await failureOf(syncKeycloakUser(await inputFor(user)));

    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'KeycloakMisconfigured', nonRetryable: true });
  });

  it('fails non-retryably as KeycloakMisconfigured when the service account may not manage users', async () => {
    const readOnly = await keycloak.createRealm({ serviceAccountRoles: ['view-users'] });
    const user = await readOnly.createUser();
    const { syncKeycloakUser } = createKeycloakActivities({
      orm: db.orm,
      logger,
      keycloak: readOnly.settings,
    });

    const err = await failureOf(syncKeycloakUser(await inputFor(user)));

    expect(err).toMatchObject({ type: 'KeycloakMisconfigured', nonRetryable: true });
    expect((await readOnly.getUser(user.id)).attributes).not.toHaveProperty('subscription_tier');
  });

  it('fails loudly, instead of storing nothing, when the realm does not declare the attributes', async () => {
    const undeclared = await keycloak.createRealm({ declareBillingAttributes: false });
    const user = await undeclared.createUser();
    const { syncKeycloakUser } = createKeycloakActivities({
      orm: db.orm,
      logger,
      keycloak: undeclared.settings,
    });

    const err = await failureOf(syncKeycloakUser(await inputFor(user)));

    expect(err).toMatchObject({ type: 'KeycloakMisconfigured', nonRetryable: true });
    expect((err as Error).message).toMatch(/user profile/);
  });

  it('declares the attributes once; declaring them again changes nothing', async () => {
    const fresh = await keycloak.createRealm({ declareBillingAttributes: false });

    const first = await ensureKeycloakUserProfile(keycloak.admin, fresh.name);
    const second = await ensureKeycloakUserProfile(keycloak.admin, fresh.name);

    expect(first).toHaveLength(6);
    expect(second).toEqual([]);
    const profile = await keycloak.admin.users.getProfile({ realm: fresh.name });
    const tier = profile.attributes?.find((a) => a.name === 'subscription_tier');
    expect(tier?.permissions).toEqual({ view: ['admin'], edit: ['admin'] });
    expect(profile.attributes?.map((a) => a.name)).toContain('department');
  });

  it('sets a realm up with the engine’s own client when it may manage the realm', async () => {
    const fresh = await keycloak.createRealm({
      declareBillingAttributes: false,
      serviceAccountRoles: ['manage-users', 'view-users', 'manage-realm'],
    });
    const user = await fresh.createUser();

    expect(await setupKeycloakRealm(fresh.settings)).toHaveLength(6);
    const { syncKeycloakUser } = createKeycloakActivities({ orm: db.orm, logger, keycloak: fresh.settings });
    await syncKeycloakUser(await inputFor(user));

    expect((await fresh.getUser(user.id)).attributes?.subscription_tier).toEqual(['pro']);
  });

  it('skips the sync without calling anyone when Keycloak is not configured', async () => {
    const { syncKeycloakUser } = createKeycloakActivities({ orm: db.orm, logger, keycloak: null });

    const result = await syncKeycloakUser({ email: 'ada@example.com', attributes: proAttributes });

    expect(result).toEqual({ userId: null, changed: false, skipped: 'keycloak_not_configured' });
  });
});

// Only this suite's stand-in for the subscription workflows that will call the sync: it retries quickly.
const SYNC_WORKFLOW = `
import { proxyActivities } from '@temporalio/workflow';
const { syncKeycloakUser } = proxyActivities({
  startToCloseTimeout: '15 seconds',
  retry: {
    initialInterval: '200 milliseconds',
    maximumInterval: '2 seconds',
    nonRetryableErrorTypes: ['KeycloakMisconfigured', 'InvalidRequest'],
  },
});
export async function keycloakSync(input) {
  return syncKeycloakUser(input);
}
`;

async function bundleSyncWorkflow(): Promise<{ code: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'keycloak-sync-workflow-'));
  try {
    const workflowsPath = join(dir, 'workflow.js');
    writeFileSync(workflowsPath, SYNC_WORKFLOW);
    const nodeModules = resolve(__dirname, '../../node_modules');
    return await bundleWorkflowCode({
      workflowsPath,
      webpackConfigHook: (config) => ({
        ...config,
        resolve: { ...config.resolve, modules: [nodeModules, 'node_modules'] },
      }),
      logger: { log() {}, info() {}, warn() {}, error: console.error, debug() {}, trace() {} },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Forwards a fixed port to Keycloak's, so the worker's settings can name an address before Keycloak runs. */
function forward(fromPort: number, toPort: number): Promise<{ close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(toPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  return new Promise((resolveListen, reject) => {
    server.on('error', reject);
    server.listen(fromPort, '127.0.0.1', () =>
      resolveListen({
        close: () =>
          new Promise((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      }),
    );
  });
}

async function waitForAttempt(handle: WorkflowHandle, attempt: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { raw } = await handle.describe();
    if ((raw.pendingActivities?.[0]?.attempt ?? 0) >= attempt) return;
    if (Date.now() > deadline) throw new Error(`the activity never reached attempt ${attempt}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('a sync started while Keycloak is down, on a real Temporal dev server', () => {
  let env: TestWorkflowEnvironment;
  let db: TestDb;

  beforeAll(async () => {
    [env, db] = await Promise.all([startDevServer(), openTestDatabase('sqlite')]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([env?.teardown(), db?.close()]);
  });

  it(
    'keeps retrying and completes once Keycloak is up',
    async () => {
      const port = await closedPort();
      const settings = {
        url: `http://127.0.0.1:${port}`,
        realm: 'billing-late',
        clientId: 'billing-engine',
        clientSecret: 'late-secret',
      };
      const taskQueue = 'keycloak-sync-it';
      const worker = await Worker.create({
        connection: env.nativeConnection,
        namespace: TEST_NAMESPACE,
        taskQueue,
        activities: createKeycloakActivities({ orm: db.orm, logger, keycloak: settings }),
        workflowBundle: await bundleSyncWorkflow(),
      });

      await worker.runUntil(async () => {
        const email = 'late@example.com';
        // The user id Keycloak will give the user is not known before it runs: the record holds another
        // until then (each attempt looks it up afresh).
        const customerId = await customerOf(db, { id: randomUUID(), email });
        const handle = await env.client.workflow.start('keycloakSync', {
          taskQueue,
          workflowId: 'keycloak-sync-late',
          args: [{ customerId, email, attributes: proAttributes }],
        });
        await waitForAttempt(handle, 2); // Keycloak is not running yet: the first attempts fail

        const keycloak = await startTestKeycloak();
        let proxy: { close(): Promise<void> } | undefined;
        try {
          const realm = await keycloak.createRealm({
            name: settings.realm,
            clientSecret: settings.clientSecret,
          });
          const user = await realm.createUser(undefined, email);
          await db.orm.em.fork().nativeUpdate(Customer, { id: customerId }, { userId: user.id });
          proxy = await forward(port, Number(new URL(keycloak.url).port));

          expect(await handle.result()).toEqual({ userId: user.id, changed: true });
          expect((await realm.getUser(user.id)).attributes?.subscription_tier).toEqual(['pro']);
        } finally {
          await proxy?.close();
          await keycloak.stop();
        }
      });
    },
    KEYCLOAK_START_TIMEOUT_MS,
  );
});
