import { ApplicationFailure, Context } from '@temporalio/activity';
import { BillingEvent, Customer, WebhookAttempt, WebhookDelivery, WebhookEndpoint } from '../../db/entities';
import { newId } from '../../db/ids';
import { sqlFor } from '../../db/raw-sql';
import { FAILURE } from '../../domain/failure-types';
import { endpointWants, nextAttemptAt, shouldDisable } from '../../domain/webhook-delivery';
import { redactedEndpointUrl } from '../../domain/webhook-endpoints';
import { sendWebhook } from '../../integrations/webhooks/send';
import type { WebhookSettings } from '../../integrations/webhooks/settings';
import { openEndpointSecret } from '../../integrations/webhooks/settings';
import { signDelivery } from '../../integrations/webhooks/standard-webhooks';
import { eventEnvelope } from '../../integrations/webhooks/envelope';
import type { ActivityDeps } from '../deps';
import { transportFor } from '../notify/email';

/** One endpoint's line of deliveries for one customer: what a queue workflow works through in order. */
export interface WebhookQueue {
  endpointId: string;
  queueKey: string;
}

/** What one attempt came to, for the queue workflow to decide what it does next. */
export interface AttemptOutcome {
  outcome: 'delivered' | 'retry' | 'given_up' | 'endpoint_off' | 'already_done';
  /** With `retry`: how long to wait before the next try. */
  retryInMs: number | null;
  attemptId: string | null;
  statusCode: number | null;
  error: string | null;
}

const POLL_MS = 250;

/** How an endpoint turned off for failing says why (an admin's turning off says who). */
const AUTO_DISABLED = 'every attempt failed since';

function settingsOf(deps: ActivityDeps): WebhookSettings {
  if (!deps.webhooks)
    throw ApplicationFailure.nonRetryable('outgoing webhooks are not configured', FAILURE.notFound);
  return deps.webhooks;
}

function heartbeat(): void {
  try {
    Context.current().heartbeat();
  } catch {
    // Called outside an activity (a test): nobody to tell.
  }
}

/** Delivering outgoing webhooks: fanning events out to endpoints, and each attempt with its log. */
export function createWebhookActivities(deps: ActivityDeps) {
  const { orm, logger } = deps;

  /** One pass: the unpublished events, oldest first, become deliveries to the endpoints that want them. */
  async function fanOutOnce(limit: number): Promise<{ queues: WebhookQueue[]; events: number }> {
    return orm.em.fork().transactional(async (tx) => {
      const events = await tx.find(
        BillingEvent,
        { publishedAt: null },
        {
          orderBy: { createdAt: 'asc', id: 'asc' },
          limit,
          fields: ['id', 'customerId', 'type', 'createdAt'],
        },
      );
      if (events.length === 0) return { queues: [], events: 0 };
      const endpoints = await tx.find(
        WebhookEndpoint,
        { enabled: true },
        { fields: ['id', 'enabled', 'eventTypes'] },
      );
      const sql = sqlFor(tx);
      const queues = new Map<string, WebhookQueue>();
      const now = new Date();
      for (const event of events) {
        for (const endpoint of endpoints) {
          if (!endpointWants(endpoint, event.type)) continue;
          const queueKey = event.customerId ?? '';
          // The unique (event, endpoint) pair makes a retried pass add nothing.
          await sql.run(
            `insert into webhook_deliveries (id, event_id, endpoint_id, queue_key, event_type, event_created_at, status, attempts, created_at)
             values (?, ?, ?, ?, ?, ?, 'pending', 0, ?) on conflict (event_id, endpoint_id) do nothing`,
            [
              newId('whd'),
              event.id,
              endpoint.id,
              queueKey,
              event.type,
              sql.date(event.createdAt),
              sql.date(now),
            ],
          );
          queues.set(`${endpoint.id}\0${queueKey}`, { endpointId: endpoint.id, queueKey });
        }
      }
      await tx.nativeUpdate(BillingEvent, { id: { $in: events.map((e) => e.id) } }, { publishedAt: now });
      return { queues: [...queues.values()], events: events.length };
    });
  }

  /**
   * Waits (up to `waitMs`, looking every 250 ms) for unpublished events, then turns them into deliveries
   * and answers the queues that have new work. Waiting here rather than in the workflow keeps the
   * dispatcher's history short while an event still goes out within a quarter of a second.
   */
  async function fanOutWebhookEvents(
    req: { waitMs?: number; limit?: number } = {},
  ): Promise<{ queues: WebhookQueue[]; more: boolean }> {
    const limit = req.limit ?? 200;
    const deadline = Date.now() + (req.waitMs ?? 0);
    for (;;) {
      const pass = await fanOutOnce(limit);
      if (pass.events > 0 || Date.now() >= deadline)
        return { queues: pass.queues, more: pass.events === limit };
      heartbeat();
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  /**
   * Queues with a pending delivery nobody is working on: never tried a while after it was made, or long past
   * its next try (its queue workflow ended between a look and a new delivery, or the endpoint came back on).
   */
  async function strandedWebhookQueues(req: { graceMs?: number } = {}): Promise<{ queues: WebhookQueue[] }> {
    const sql = sqlFor(orm.em.fork());
    const before = sql.date(new Date(Date.now() - (req.graceMs ?? 30_000)));
    const rows = await sql.run<{ endpoint_id: string; queue_key: string }>(
      `select distinct d.endpoint_id, d.queue_key from webhook_deliveries d
       join webhook_endpoints e on e.id = d.endpoint_id and e.enabled = ?
       where d.status = 'pending'
         and ((d.next_attempt_at is null and d.created_at < ?) or d.next_attempt_at < ?)
       limit 500`,
      [sql.bool(true), before, before],
    );
    return { queues: rows.map((r) => ({ endpointId: r.endpoint_id, queueKey: r.queue_key })) };
  }

  /**
   * The oldest pending delivery of a queue and how long until it is due, or null when the queue is empty
   * or its endpoint is off or gone (what waits stays pending for when it is back on).
   */
  async function nextWebhookDelivery(
    q: WebhookQueue,
  ): Promise<{ deliveryId: string; waitMs: number } | null> {
    const em = orm.em.fork();
    const endpoint = await em.findOne(WebhookEndpoint, { id: q.endpointId }, { fields: ['enabled'] });
    if (!endpoint?.enabled) return null;
    const head = await em.findOne(
      WebhookDelivery,
      { endpointId: q.endpointId, queueKey: q.queueKey, status: 'pending' },
      { orderBy: { eventCreatedAt: 'asc', eventId: 'asc' }, fields: ['id', 'nextAttemptAt'] },
    );
    if (!head) return null;
    const waitMs = head.nextAttemptAt ? Math.max(0, head.nextAttemptAt.getTime() - Date.now()) : 0;
    return { deliveryId: head.id, waitMs };
  }

  /** The body of an event as endpoints receive it, with the customer it is about. */
  async function bodyOf(eventId: string): Promise<{ body: string; eventId: string } | null> {
    const em = orm.em.fork();
    const event = await em.findOne(BillingEvent, { id: eventId });
    if (!event) return null;
    const customer = event.customerId
      ? await em.findOne(Customer, { id: event.customerId }, { fields: ['email', 'userId'] })
      : null;
    return { body: JSON.stringify(eventEnvelope(event, customer)), eventId: event.id };
  }

  /**
   * Tries one delivery: signs the event (Standard Webhooks, with the event's id, so every retry carries the
   * same `webhook-id`), POSTs it, and writes the attempt, the delivery's state and the endpoint's failure
   * streak in one transaction. A failure schedules the next try with backoff and jitter until the retry
   * window closes; an endpoint failing for WEBHOOK_DISABLE_AFTER_DAYS is turned off and the operators
   * mailed. `manual` is an admin's redelivery: one attempt outside the queue's order and retries.
   */
  async function attemptWebhookDelivery(req: {
    deliveryId: string;
    manual?: boolean;
  }): Promise<AttemptOutcome> {
    const settings = settingsOf(deps);
    const manual = req.manual ?? false;
    const em = orm.em.fork();
    const delivery = await em.findOne(WebhookDelivery, { id: req.deliveryId });
    if (!delivery)
      throw ApplicationFailure.nonRetryable(`delivery ${req.deliveryId} not found`, FAILURE.notFound);
    const none = { retryInMs: null, attemptId: null, statusCode: null, error: null };
    if (!manual && delivery.status !== 'pending') return { outcome: 'already_done', ...none };
    const endpoint = await em.findOne(WebhookEndpoint, { id: delivery.endpointId });
    if (!endpoint || (!manual && !endpoint.enabled)) {
      // A retry after the mail failed: the endpoint was turned off by the try before, the mail not sent.
      if (endpoint) await tellOperators(endpoint.id);
      return { outcome: 'endpoint_off', ...none };
    }
    const content = await bodyOf(delivery.eventId);
    if (!content)
      throw ApplicationFailure.nonRetryable(`event ${delivery.eventId} not found`, FAILURE.notFound);

    const at = new Date();
    const headers = signDelivery([openEndpointSecret(settings.keyring, endpoint)], {
      id: content.eventId,
      at,
      body: content.body,
    });
    const sent = await sendWebhook(endpoint.url, { ...headers }, content.body, settings);
    const now = new Date();
    const attemptId = newId('wha');
    let outcome: AttemptOutcome['outcome'] = sent.ok ? 'delivered' : 'retry';
    let retryAt: Date | null = null;
    let disable = false;
    await em.transactional(async (tx) => {
      tx.create(WebhookAttempt, {
        id: attemptId,
        deliveryId: delivery.id,
        endpointId: endpoint.id,
        at,
        manual,
        ok: sent.ok,
        statusCode: sent.statusCode,
        latencyMs: sent.latencyMs,
        error: sent.error,
        responseExcerpt: sent.excerpt,
      });
      const d = await tx.findOneOrFail(WebhookDelivery, { id: delivery.id });
      const e = await tx.findOne(WebhookEndpoint, { id: endpoint.id });
      d.lastAttemptAt = at;
      if (sent.ok) {
        d.status = 'succeeded';
        d.deliveredAt = now;
        d.nextAttemptAt = null;
        if (e) e.failingSince = null;
        return;
      }
      if (e && !e.failingSince) e.failingSince = at;
      if (manual) return;
      d.attempts += 1;
      d.firstAttemptAt ??= at;
      retryAt = nextAttemptAt(settings.retry, d.attempts, d.firstAttemptAt, now, Math.random());
      d.nextAttemptAt = retryAt;
      if (!retryAt) {
        d.status = 'failed';
        outcome = 'given_up';
      }
      if (e?.enabled && shouldDisable(e.failingSince ?? null, now, settings.disableAfterMs)) {
        e.enabled = false;
        e.disabledAt = now;
        e.disabledReason = `${AUTO_DISABLED} ${e.failingSince!.toISOString()}`;
        disable = true;
      }
    });
    if (disable) {
      logger.warn(
        { endpointId: endpoint.id, url: redactedEndpointUrl(endpoint.url) },
        'webhook endpoint turned off after failing',
      );
      await tellOperators(endpoint.id);
      outcome = 'endpoint_off';
    }
    const retryAtTime = retryAt as Date | null;
    return {
      outcome,
      retryInMs: outcome === 'retry' && retryAtTime ? Math.max(0, retryAtTime.getTime() - Date.now()) : null,
      attemptId,
      statusCode: sent.statusCode,
      error: sent.error,
    };
  }

  /**
   * Mails the operators that an endpoint was turned off, once: the stamp is set after the send, and a
   * failed send fails the activity, whose retry finds the stamp unset and sends again.
   */
  async function tellOperators(endpointId: string): Promise<void> {
    const settings = settingsOf(deps);
    const em = orm.em.fork();
    const endpoint = await em.findOne(WebhookEndpoint, { id: endpointId });
    if (
      !endpoint ||
      endpoint.enabled ||
      !endpoint.disabledReason?.startsWith(AUTO_DISABLED) ||
      endpoint.disabledMailSentAt ||
      settings.operatorEmails.length === 0 ||
      !deps.mail
    )
      return;
    await transportFor(deps.mail.url).sendMail({
      from: deps.mail.from,
      to: settings.operatorEmails.join(', '),
      subject: 'A webhook endpoint was turned off',
      text: [
        `The webhook endpoint ${endpoint.id} (${redactedEndpointUrl(endpoint.url)}) was turned off.`,
        `Reason: ${endpoint.disabledReason ?? 'it kept failing'}.`,
        'Its events wait for it: turn it back on in the console (Webhooks) once it answers again.',
      ].join('\n'),
    });
    endpoint.disabledMailSentAt = new Date();
    await em.flush();
  }

  return {
    fanOutWebhookEvents,
    strandedWebhookQueues,
    nextWebhookDelivery,
    attemptWebhookDelivery,
  };
}
