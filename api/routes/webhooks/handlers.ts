import type Stripe from 'stripe';
import { AppError } from '../../../domain/errors';
import { webhookEvents } from '../../../telemetry/api-metrics';
import type { HandlerInput } from '../../routing/define-route';
import { recordStripeEvent, verifyStripeEvent } from '../../../services/stripe-events/record-stripe-event';

export async function receiveStripeWebhook({
  deps,
  ctx,
}: HandlerInput<undefined, undefined, undefined, 'public'>) {
  const secret = deps.config.STRIPE_WEBHOOK_SECRET;
  if (!secret)
    throw new AppError('unavailable', 'webhooks_not_configured', 'STRIPE_WEBHOOK_SECRET is not set');
  const signature = ctx.get('stripe-signature');
  const rawBody = ctx.state.rawBody as Buffer;
  let event: Stripe.Event;
  try {
    event = verifyStripeEvent(rawBody, signature, secret);
  } catch (err) {
    const code = err instanceof AppError ? err.code : 'invalid_signature';
    ctx.state.log?.warn({ hasSignature: Boolean(signature), code }, 'stripe webhook rejected');
    throw err;
  }
  const { duplicate } = await recordStripeEvent(deps, event, rawBody.toString('utf8'));
  webhookEvents.inc({ outcome: duplicate ? 'duplicate' : 'received' });
  // Acknowledged once durable; the forwarder signals the workflow right after (and retries if it must).
  if (!duplicate) void deps.webhooks.kick(event.id, (event.data.object as { id?: string }).id ?? null, event);
  return { received: true, duplicate };
}
