import Stripe from 'stripe';
import { AppError } from '../../../domain/errors';
import type { HandlerInput } from '../../route';
import { recordStripeEvent } from '../../services/stripe-webhooks';

/** Stripe's own tolerance for replayed signatures: five minutes. */
const TOLERANCE_SECONDS = 300;
// Verification is local HMAC work; this client never makes a request.
const verifier = new Stripe('sk_test_signature_only');

export async function receiveStripeWebhook({
  deps,
  ctx,
}: HandlerInput<undefined, undefined, undefined, 'public'>) {
  const secret = deps.config.STRIPE_WEBHOOK_SECRET;
  if (!secret) throw new AppError(503, 'webhooks_not_configured', 'STRIPE_WEBHOOK_SECRET is not set');
  const signature = ctx.get('stripe-signature');
  const rawBody = ctx.state.rawBody as Buffer;
  let event: Stripe.Event;
  try {
    event = verifier.webhooks.constructEvent(rawBody, signature, secret, TOLERANCE_SECONDS);
  } catch {
    ctx.state.log?.warn({ hasSignature: Boolean(signature) }, 'stripe webhook with a bad signature');
    throw new AppError(400, 'invalid_signature', 'The Stripe-Signature header does not match the body');
  }
  const { duplicate } = await recordStripeEvent(deps, event, rawBody.toString('utf8'));
  // Acknowledged once durable; the forwarder signals the workflow right after (and retries if it must).
  if (!duplicate) void deps.webhooks.kick(event.id, (event.data.object as { id?: string }).id ?? null, event);
  return { received: true, duplicate };
}
