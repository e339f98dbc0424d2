import { ApplicationFailure } from '@temporalio/activity';
import { BillingEvent, Customer, WebhookAttempt, WebhookDelivery, WebhookEndpoint } from '../../db/entities';
import { newId } from '../../db/ids';
import { FAILURE } from '../../domain/failure-types';
import { nextAttemptAt, shouldDisable } from '../../domain/webhook-delivery';
import { redactedEndpointUrl } from '../../domain/webhook-endpoints';
import { sendWebhook } from '../../integrations/webhooks/send';
import { openEndpointSecret } from '../../integrations/webhooks/settings';
import { signDelivery } from '../../integrations/webhooks/standard-webhooks';
import { eventEnvelope } from '../../integrations/webhooks/envelope';
import { clockOf } from '../../domain/clock';
import type { ActivityDeps } from '../deps';
import { transportFor } from '../notify/email';
import { AUTO_DISABLED, settingsOf, type AttemptOutcome } from './shared';

/** Delivering one outgoing webhook, with its attempt's log, and telling operators of an endpoint turned off. */
export function createWebhookAttemptActivities(deps: ActivityDeps) {
  const { orm, logger } = deps;
  const clock = clockOf(deps);

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

    const at = clock.now();
    const headers = signDelivery([openEndpointSecret(settings.keyring, endpoint)], {
      id: content.eventId,
      at,
      body: content.body,
    });
    const sent = await sendWebhook(endpoint.url, { ...headers }, content.body, settings);
    const now = clock.now();
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
        // Each turn-off is mailed about: a stamp left from an earlier one must not stand for this one.
        e.disabledMailSentAt = null;
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
      retryInMs:
        outcome === 'retry' && retryAtTime
          ? Math.max(0, retryAtTime.getTime() - clock.now().getTime())
          : null,
      attemptId,
      statusCode: sent.statusCode,
      error: sent.error,
    };
  }

  /**
   * Mails the operators that an endpoint was turned off, once a turn-off: the stamp is set after the send,
   * and a failed send fails the activity, whose retry finds the stamp unset and sends again.
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
    // Stamped only on the turn-off the mail told of: an admin may have turned the endpoint on again (which
    // clears the stamp) while the mail was being sent, and writing it then would stand for the next one.
    await em.nativeUpdate(
      WebhookEndpoint,
      { id: endpoint.id, enabled: false, disabledAt: endpoint.disabledAt, disabledMailSentAt: null },
      { disabledMailSentAt: clock.now() },
    );
  }

  return { attemptWebhookDelivery };
}
