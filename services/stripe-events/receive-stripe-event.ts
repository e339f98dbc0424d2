import type { Logger } from 'pino';
import { AppError } from '../../domain/errors';
import { eventObject } from '../../integrations/stripe/event-object';
import { stripeEventOutcomes } from '../../telemetry/api-metrics';
import type { CoreDeps } from '../deps';
import { recordStripeEvent } from './record';
import { verifyStripeEvent } from './verify';
import type { StripeEventForwarder } from './event-forwarder';

/** One delivery from Stripe: the body exactly as signed, and its Stripe-Signature. */
export interface StripeDelivery {
  rawBody: Buffer;
  signature: string;
}

/**
 * Takes one Stripe event: checks its signature, records it once by its id, and hands a new one to the
 * forwarder. Stripe's acknowledgement waits only for the durable record; the forwarder signals the
 * workflow right after (and retries if it must). A redelivery is a duplicate and changes nothing.
 */
export async function receiveStripeEvent(
  deps: Pick<CoreDeps, 'orm' | 'config' | 'clock'> & {
    stripeEventForwarder: Pick<StripeEventForwarder, 'kick'>;
  },
  delivery: StripeDelivery,
  log?: Pick<Logger, 'warn'>,
): Promise<{ duplicate: boolean }> {
  const secret = deps.config.STRIPE_WEBHOOK_SECRET;
  if (!secret)
    throw new AppError('unavailable', 'webhooks_not_configured', 'STRIPE_WEBHOOK_SECRET is not set');
  let event;
  try {
    event = verifyStripeEvent(delivery.rawBody, delivery.signature, secret);
  } catch (err) {
    const code = err instanceof AppError ? err.code : 'invalid_signature';
    log?.warn({ hasSignature: Boolean(delivery.signature), code }, 'stripe event rejected');
    throw err;
  }
  const { duplicate } = await recordStripeEvent(deps, event, delivery.rawBody.toString('utf8'));
  stripeEventOutcomes.inc({ outcome: duplicate ? 'duplicate' : 'received' });
  if (!duplicate) void deps.stripeEventForwarder.kick(event.id, eventObject(event).id ?? null, event);
  return { duplicate };
}
