import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { MockActivityEnvironment } from '@temporalio/testing';
import pino from 'pino';
import { createActivities } from '../../activities';
import { recordBillingEvent } from '../../db/billing-events';
import { WebhookAttempt, WebhookDelivery, WebhookEndpoint } from '../../db/entities';
import { newId } from '../../db/ids';
import { sqlFor } from '../../db/raw-sql';
import { DEFAULT_RETRY_POLICY } from '../../domain/webhook-delivery';
import { sealEndpointSecret } from '../../integrations/webhooks/settings';
import { newSigningSecret } from '../../integrations/webhooks/standard-webhooks';
import { updateEndpoint } from '../../services/webhooks/endpoints';
import { testKeyring } from '../helpers/byok-keys';
import { openTestDatabase } from '../helpers/db';
import { startSmtp } from '../helpers/smtp';

describe('an outgoing webhook attempt, as the logs and mail tell it', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  const failing = createServer((_req, res) => res.writeHead(500).end('down'));
  let origin: string;
  beforeAll(async () => {
    [db, smtp] = await Promise.all([openTestDatabase('sqlite'), startSmtp()]);
    await new Promise<void>((r) => failing.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(failing.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => failing.close(r));
    await smtp.stop();
    await db.close();
  });

  /** The activities, each failure turning the endpoint off at once, so the warning and the mail come with it. */
  const activitiesFor = (keyring: ReturnType<typeof testKeyring>, logger = pino({ level: 'silent' })) =>
    createActivities({
      orm: db.orm,
      logger,
      mail: { url: smtp.url, from: 'billing@example.com' },
      webhooks: {
        keyring,
        production: false,
        allowPrivate: true,
        timeoutMs: 2000,
        retry: DEFAULT_RETRY_POLICY,
        disableAfterMs: 0,
        operatorEmails: ['ops@example.com'],
      },
    });

  /** An enabled endpoint taking `credits.low` at `url`. */
  async function endpointAt(url: string, keyring: ReturnType<typeof testKeyring>): Promise<string> {
    const em = db.orm.em.fork();
    const endpointId = newId('whe');
    const sealed = sealEndpointSecret(keyring, endpointId, newSigningSecret());
    em.create(WebhookEndpoint, {
      id: endpointId,
      url,
      description: null,
      eventTypes: ['credits.low'],
      enabled: true,
      secretCiphertext: sealed.ciphertext,
      secretNonce: sealed.nonce,
      secretKeyVersion: sealed.keyVersion,
    });
    await em.flush();
    return endpointId;
  }

  /** A `credits.low` event and its pending delivery to the endpoint. */
  async function pendingDelivery(endpointId: string, name: string): Promise<string> {
    const em = db.orm.em.fork();
    const at = new Date();
    const dedupeKey = `credits.low:${name}:${endpointId}`;
    await recordBillingEvent(sqlFor(em), {
      customerId: `cust_${name}`,
      type: 'credits.low',
      payload: { threshold: 100, value: 10 },
      dedupeKey,
      at,
    });
    const [event] = await sqlFor(em).run<{ id: string }>(
      'select id from billing_events where dedupe_key = ?',
      [dedupeKey],
    );
    const deliveryId = newId('whd');
    em.create(WebhookDelivery, {
      id: deliveryId,
      eventId: event!.id,
      endpointId,
      queueKey: `cust_${name}`,
      eventType: 'credits.low',
      eventCreatedAt: at,
    });
    await em.flush();
    return deliveryId;
  }

  it("never writes the receiver's secret from the address to a log line, the attempt log or the operators' mail", async () => {
    const keyring = testKeyring();
    const lines: string[] = [];
    const logger = pino(
      { level: 'debug' },
      new Writable({
        write(chunk: Buffer, _enc, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    );
    const activities = activitiesFor(keyring, logger);
    // Slack-style: the receiver's secret is the path after /services/, and here in the query too.
    const url = `${origin}/services/T0SECRETA/B0SECRETB/SeCrEtToKeNc?token=SECRETD`;
    const endpointId = await endpointAt(url, keyring);
    const deliveryId = await pendingDelivery(endpointId, 'hook-secret');

    const outcome = await new MockActivityEnvironment().run(activities.attemptWebhookDelivery, {
      deliveryId,
    });

    expect(outcome).toMatchObject({ outcome: 'endpoint_off', statusCode: 500 });
    const secret = /SECRET|SeCrEt/i;
    const shown = `${origin}/services/[redacted]?[redacted]`;
    const warning = lines.find((l) => l.includes('webhook endpoint turned off'));
    expect(JSON.parse(warning!)).toMatchObject({ endpointId, url: shown });
    expect(lines.join('\n')).not.toMatch(secret);
    const mail = smtp.received.filter((m) => m.data.includes(endpointId));
    expect(mail).toHaveLength(1);
    // The body is quoted-printable: joined and decoded, so a soft line break hides nothing from the check.
    const text = mail[0]!.data
      .replace(/=\r?\n/g, '')
      .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    expect(text).toContain(shown);
    expect(text).not.toMatch(secret);
    const attempts = await db.orm.em.fork().find(WebhookAttempt, { endpointId });
    expect(attempts).toHaveLength(1);
    expect(JSON.stringify(attempts)).not.toMatch(secret);
    // The endpoint's own row keeps the address whole: it is where the next attempt is sent.
    expect((await db.orm.em.fork().findOneOrFail(WebhookEndpoint, { id: endpointId })).url).toBe(url);
  });

  it('mails the operators at each turn-off, when an admin turned the endpoint on again while the last mail was sent', async () => {
    const keyring = testKeyring();
    const activities = activitiesFor(keyring);
    const endpointId = await endpointAt(`${origin}/hooks`, keyring);
    const admin = {
      sub: 'admin',
      email: 'ops@example.com',
      name: null,
      roles: ['admin'],
      role: 'admin' as const,
      expMs: Date.now() + 60_000,
    };
    const rules = { keyring, urlPolicy: { production: false, allowPrivate: true } };
    // The admin turns it back on while the first mail waits for the mail server's answer.
    smtp.beforeAnswer = async () => {
      smtp.beforeAnswer = null;
      await updateEndpoint(db.orm.em.fork(), admin, endpointId, { enabled: true }, rules, new Date());
    };
    const first = await new MockActivityEnvironment().run(activities.attemptWebhookDelivery, {
      deliveryId: await pendingDelivery(endpointId, 'turned-on-1'),
    });
    expect(first).toMatchObject({ outcome: 'endpoint_off' });
    expect(await db.orm.em.fork().findOneOrFail(WebhookEndpoint, { id: endpointId })).toMatchObject({
      enabled: true,
      disabledMailSentAt: null,
    });

    const second = await new MockActivityEnvironment().run(activities.attemptWebhookDelivery, {
      deliveryId: await pendingDelivery(endpointId, 'turned-on-2'),
    });
    expect(second).toMatchObject({ outcome: 'endpoint_off' });
    expect(smtp.received.filter((m) => m.data.includes(endpointId))).toHaveLength(2);
    const off = await db.orm.em.fork().findOneOrFail(WebhookEndpoint, { id: endpointId });
    expect(off.enabled).toBe(false);
    expect(off.disabledMailSentAt).toBeInstanceOf(Date);
  });
});
