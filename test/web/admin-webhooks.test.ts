import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { Browser } from 'playwright-core';
import { webAppBuilt } from '../../api/pages/web-app';
import { loadConfig } from '../../config/env';
import { createLogger } from '../../config/logger';
import { recordBillingEvent } from '../../db/billing-events';
import { BillingEvent, Customer, WebhookAttempt, WebhookDelivery } from '../../db/entities';
import { newId } from '../../db/ids';
import { sqlFor } from '../../db/raw-sql';
import { webhookSettingsFrom } from '../../integrations/webhooks/settings';
import { createWorker } from '../../worker/create-worker';
import { startTestApi, type TestApi } from '../helpers/api';
import { testKeyring } from '../helpers/byok-keys';
import { openTestDatabase } from '../helpers/db';
import { startDevServer, TEST_NAMESPACE, workflowBundle } from '../helpers/temporal';
import { startWebhookReceiver } from '../helpers/webhook-receiver';
import { launchChromium, screenshot, seriousA11yViolations, signInAs } from './browser';

const TASK_QUEUE = 'web-admin-webhooks';

/**
 * The console's Webhooks page in real Chromium: adding an endpoint and reading its secret once, a refused
 * address, the delivery log with its attempts, a redelivery sent by a real worker to a receiver that checks
 * the signature, and turning the endpoint off.
 */
describe('the Webhooks page of the console', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  let api: TestApi;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let browser: Browser;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;

  beforeAll(async () => {
    if (!webAppBuilt())
      throw new Error('web/dist is missing: `node tools/web.js` builds it (npm test runs it)');
    [db, chromium, env, receiver] = await Promise.all([
      openTestDatabase('sqlite'),
      launchChromium(),
      startDevServer(),
      startWebhookReceiver(),
    ]);
    browser = chromium.browser;
    const keyring = testKeyring();
    worker = await createWorker({
      connection: env.nativeConnection,
      namespace: TEST_NAMESPACE,
      taskQueue: TASK_QUEUE,
      deps: {
        orm: db.orm,
        logger: createLogger('silent', 'test'),
        webhooks: webhookSettingsFrom(
          loadConfig({ NODE_ENV: 'test', WEBHOOK_ALLOW_PRIVATE_URLS: 'true' }),
          keyring,
        ),
      },
      workflowBundle: workflowBundle(),
    });
    running = worker.run();
    api = await startTestApi({
      orm: db.orm,
      temporal: env.client,
      keyring,
      env: {
        OIDC_ISSUER: '',
        OIDC_JWKS_URL: '',
        DEV_SIGN_IN: 'true',
        TEMPORAL_TASK_QUEUE: TASK_QUEUE,
        WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
      },
    });
  });
  afterAll(async () => {
    await chromium?.close();
    await api?.stop();
    worker?.shutdown();
    await running;
    await receiver?.stop();
    await Promise.all([db?.close(), env?.teardown()]);
  });

  async function signedInAsAdmin() {
    const page = await signInAs(browser, api.url, {
      email: 'ops@example.com',
      role: 'admin',
      next: '/admin/webhooks',
    });
    await page.getByRole('heading', { level: 1, name: 'Webhooks' }).waitFor();
    return page;
  }

  it('adds an endpoint, shows its secret once, logs its deliveries and sends one again', async () => {
    const page = await signedInAsAdmin();
    await page.getByText('No endpoints yet').waitFor();
    const form = page.getByRole('region', { name: 'New endpoint' });

    // A scheme the engine never sends to: the API's refusal is shown, nothing is added.
    await form.getByLabel(/^URL/).fill('ftp://files.example.com/hooks');
    await form.getByLabel('credits.low').check();
    await form.getByRole('button', { name: 'Add endpoint' }).click();
    await page.getByText('url: http or https only').waitFor();

    await form.getByLabel(/^URL/).fill(receiver.url);
    await form.getByLabel(/^Description/).fill('The CRM');
    await form.getByRole('button', { name: 'Add endpoint' }).click();
    await page.getByText('Endpoint added: it receives 1 event type(s) from now on.').waitFor();
    const secret = (await page.getByTestId('webhook-secret').textContent()) ?? '';
    expect(secret).toMatch(/^whsec_/);
    receiver.secret = secret;
    const row = page.getByRole('region', { name: 'Webhook endpoints' }).getByRole('row').nth(1);
    expect(await row.getByRole('cell').allTextContents()).toEqual([
      'credits.low',
      'On',
      '0',
      '0',
      'Deliveries Turn off Rotate secret Remove',
    ]);
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'admin-webhook-secret');

    // A delivery that failed once (as the queue would have logged it), waiting for its next try.
    const endpointId = (
      await api.request('GET', '/api/v1/admin/billing/webhook-endpoints', {
        token: await adminToken(),
      })
    ).body.endpoints[0].id as string;
    const em = db.orm.em.fork();
    const customer = em.create(Customer, {
      id: newId('cust'),
      userId: 'kc-web-hooks',
      email: 'web-hooks@example.com',
    });
    await em.flush();
    await recordBillingEvent(sqlFor(db.orm.em.fork()), {
      customerId: customer.id,
      type: 'credits.low',
      payload: { threshold: 100, threshold_unit: 'credits', value: 42, value_unit: 'credits' },
      dedupeKey: 'credits.low:web-hooks',
      at: new Date(Date.now() - 60_000),
    });
    const event = await db.orm.em.fork().findOneOrFail(BillingEvent, { dedupeKey: 'credits.low:web-hooks' });
    const delivery = em.create(WebhookDelivery, {
      id: newId('whd'),
      eventId: event.id,
      endpointId,
      queueKey: customer.id,
      eventType: event.type,
      eventCreatedAt: event.createdAt,
      attempts: 1,
      firstAttemptAt: new Date(Date.now() - 50_000),
      lastAttemptAt: new Date(Date.now() - 50_000),
      nextAttemptAt: new Date(Date.now() + 3_600_000),
    });
    em.create(WebhookAttempt, {
      id: newId('wha'),
      deliveryId: delivery.id,
      endpointId,
      at: new Date(Date.now() - 50_000),
      ok: false,
      statusCode: 500,
      latencyMs: 38,
      responseExcerpt: 'upstream database is down',
    });
    await em.flush();

    await page.reload();
    await page.getByRole('button', { name: `Deliveries to ${receiver.url}` }).click();
    const log = page.getByRole('region', { name: `Deliveries to ${receiver.url}` });
    const line = log.getByTestId(`delivery-${event.id}`);
    await line.waitFor();
    expect(await line.getByRole('cell').first().textContent()).toBe('Pending');
    await line.getByText('Show').click();
    await line.getByText('upstream database is down').waitFor();
    expect(await line.getByLabel(`Payload of ${event.id}`).textContent()).toContain('"value": 42');
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'admin-webhook-deliveries');

    await line.getByRole('button', { name: `Redeliver credits.low ${event.id}` }).click();
    await page.getByText(/^Sent again: the endpoint answered 200 in/).waitFor();
    expect(receiver.delivered().map((r) => [r.id, r.type, r.verified])).toEqual([
      [event.id, 'credits.low', true],
    ]);
    await line
      .getByRole('cell')
      .filter({ hasText: /^Delivered$/ })
      .waitFor();

    await page.getByRole('button', { name: `Turn off ${receiver.url}` }).click();
    await page.getByText(`${receiver.url} is off; its events wait for it.`).waitFor();
    await row.getByText('turned off by ops@example.com').waitFor();
    await screenshot(page, 'admin-webhooks');
  });

  async function adminToken(): Promise<string> {
    const res = await api.request('POST', '/api/v1/auth/dev-token', {
      body: { email: 'ops@example.com', role: 'admin' },
    });
    return (res.body as { access_token: string }).access_token;
  }
});
