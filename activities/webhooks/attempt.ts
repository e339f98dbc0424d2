import { ApplicationFailure } from '@temporalio/activity';
import { newId } from '../../db/ids';
import {
  deliveryToTry,
  eventWithCustomer,
  markTurnOffMailed,
  recordAttempt,
  turnedOffUnmailed,
} from '../../db/webhook-attempts';
import { FAILURE } from '../../domain/failure-types';
import { attemptResult } from '../../domain/webhook-delivery';
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
    const found = await eventWithCustomer(orm.em.fork(), eventId);
    if (!found) return null;
    return { body: JSON.stringify(eventEnvelope(found.event, found.customer)), eventId: found.event.id };
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
    const found = await deliveryToTry(orm.em.fork(), req.deliveryId);
    if (!found)
      throw ApplicationFailure.nonRetryable(`delivery ${req.deliveryId} not found`, FAILURE.notFound);
    const { delivery, endpoint } = found;
    const none = { retryInMs: null, attemptId: null, statusCode: null, error: null };
    if (!manual && delivery.status !== 'pending') return { outcome: 'already_done', ...none };
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
    const result = await recordAttempt(
      orm.em.fork(),
      {
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
      },
      (record) => attemptResult(record, { ok: sent.ok, at, now, manual, random: Math.random() }, settings),
      (failingSince) => `${AUTO_DISABLED} ${failingSince.toISOString()}`,
      now,
    );
    let outcome: AttemptOutcome['outcome'] = result.outcome;
    // An admin's redelivery schedules nothing: the queue's own next try, if any, stays where it was.
    const retryAt = result.outcome === 'retry' && !manual ? result.delivery.nextAttemptAt : null;
    if (result.turnOff) {
      logger.warn(
        { endpointId: endpoint.id, url: redactedEndpointUrl(endpoint.url) },
        'webhook endpoint turned off after failing',
      );
      await tellOperators(endpoint.id);
      outcome = 'endpoint_off';
    }
    return {
      outcome,
      retryInMs:
        outcome === 'retry' && retryAt ? Math.max(0, retryAt.getTime() - clock.now().getTime()) : null,
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
    if (settings.operatorEmails.length === 0 || !deps.mail) return;
    const em = orm.em.fork();
    const endpoint = await turnedOffUnmailed(em, endpointId, AUTO_DISABLED);
    if (!endpoint) return;
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
    await markTurnOffMailed(em, endpoint, clock.now());
  }

  return { attemptWebhookDelivery };
}
